package dev.taskshared.testing;

import dev.taskshared.Diagnostics;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.MapSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.Reg;
import dev.taskshared.monitor.ProcessMonitor;
import dev.taskshared.monitor.ThreadSample;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Run in child JVMs by the host publisher's tests, as the fixture's users ({@link HostFixture}).
 * Prints facts one per line for the test to check:
 *
 * <ul>
 *   <li>{@code self N}: the library's mode with the host publisher (and doctor's view), then N
 *   threads that burn CPU and sleep, each compared with its own /proc: {@code MISMATCH ...} lines
 *   and {@code checked N}.
 *   <li>{@code hold N busy|idle}: registers N threads (busy: 2 ms sleeps in a loop; idle: parked)
 *   and prints {@code ready <tid>,...}; then answers {@code check} on stdin with one
 *   {@code lost <tid> <reason>} per registration taken away and {@code checked N} for the others
 *   compared with /proc, and {@code quit}.
 *   <li>{@code work N}: N threads that burn CPU and sleep without the library; {@code ready}.
 *   <li>{@code top PID}: a {@link ProcessMonitor} of PID: its mode, its threads compared with /proc.
 *   <li>{@code attack DIR PID TID}: what a member can and cannot do to the install at DIR and to
 *   thread TID of another member's JVM PID: one {@code <action>: <outcome>} line each.
 * </ul>
 */
public final class HostProbe {
    private HostProbe() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "self" -> self(Integer.parseInt(args[1]));
            case "hold" -> hold(Integer.parseInt(args[1]), args[2].equals("busy"));
            case "work" -> work(Integer.parseInt(args[1]));
            case "top" -> top(Integer.parseInt(args[1]));
            case "attack" -> attack(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    private static void self(int n) throws Exception {
        TaskShared ts = TaskShared.get();
        System.out.println("mode " + ts.mode() + " " + ts.dataPath());
        System.out.println("why " + ts.modeDescription());
        Diagnostics.Report r = Diagnostics.probe();
        System.out.println("doctor mode " + r.mode() + " host_publisher " + r.hostPublisher().available() + " version " + r.hostPublisherVersion());
        System.out.println("doctor host_reason " + r.hostPublisher().reason());
        if (ts.mode() != dev.taskshared.Mode.BPF) {
            return;
        }
        try (BlockedWorkers workers = BlockedWorkers.start(n, TaskShared::current)) {
            int checked = 0;
            for (ThreadStats h : workers.handles()) {
                String bad = compareBlocked(h);
                if (bad != null) {
                    System.out.println("MISMATCH " + bad);
                }
                checked++;
            }
            System.out.println("utime supported " + workers.handles().get(0).supports(dev.taskshared.Feature.UTIME));
            System.out.println("checked " + checked);
        }
        ts.close();
    }

    /**
     * A blocked thread's slot against its /proc: sum and run delay within 1% + 2 ms, pcount within
     * 3, switches since registration at most the kernel's totals; null when they agree.
     */
    public static String compareBlocked(ThreadStats h) {
        StatsSnapshot s = h.snapshot(new StatsSnapshot());
        long[] k = Kernel.schedstat(h.tid());
        long[] sw = Kernel.switches(h.tid());
        boolean ok = Math.abs(s.sumExecRuntimeNanos() - k[0]) <= k[0] / 100 + 2_000_000
                && Math.abs(s.runDelayNanos() - k[1]) <= k[1] / 100 + 2_000_000
                && Math.abs(s.pcount() - k[2]) <= 3
                && s.nvcsw() <= sw[0] && s.nivcsw() <= sw[1];
        return ok ? null : "tid " + h.tid() + ": slot " + s + " vs schedstat " + k[0] + " " + k[1] + " " + k[2] + " status " + sw[0] + " " + sw[1];
    }

    private static void hold(int n, boolean busy) throws Exception {
        TaskShared ts = TaskShared.get();
        System.out.println("mode " + ts.mode() + " " + ts.dataPath() + " " + ts.modeDescription());
        List<ThreadStats> handles = new ArrayList<>();
        CountDownLatch registered = new CountDownLatch(n);
        CountDownLatch quit = new CountDownLatch(1);
        for (int i = 0; i < n; i++) {
            Thread.ofPlatform().daemon().start(() -> {
                ThreadStats me = TaskShared.current();
                synchronized (handles) {
                    handles.add(me);
                }
                registered.countDown();
                while (quit.getCount() > 0) {
                    if (busy) {
                        Work.sleep(2);
                    } else {
                        await(quit);
                    }
                }
            });
        }
        registered.await();
        StringBuilder tids = new StringBuilder();
        for (ThreadStats h : handles) {
            tids.append(tids.isEmpty() ? "" : ",").append(h.tid());
        }
        System.out.println("ready " + tids);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.equals("check")) {
                int checked = 0;
                for (ThreadStats h : handles) {
                    if (h.isReleased()) {
                        System.out.println("lost " + h.tid() + " " + h.releaseReason());
                        continue;
                    }
                    // A busy thread may be running: compare the totals with a running thread's tolerance.
                    StatsSnapshot s = h.snapshot(new StatsSnapshot());
                    long[] k = Kernel.schedstat(h.tid());
                    if (Math.abs(s.pcount() - k[2]) > 3 || Math.abs(s.sumExecRuntimeNanos() - k[0]) > k[0] / 100 + 2_000_000) {
                        System.out.println("MISMATCH tid " + h.tid() + ": slot " + s + " vs schedstat " + k[0] + " " + k[1] + " " + k[2]);
                    }
                    checked++;
                }
                System.out.println("checked " + checked + " lost " + ts.lostRegistrations());
                System.out.flush();
            }
        }
        quit.countDown();
        ts.close();
    }

    private static void work(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            Thread.ofPlatform().daemon().start(() -> {
                while (true) {
                    Work.burnCpu(1_000_000);
                    Work.sleep(2);
                }
            });
        }
        System.out.println("ready");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine(); // until the test closes stdin
    }

    /**
     * Each thread's numbers from a monitor of {@code pid} must lie between the kernel's before and
     * after the sample that produced them (1% + 2 ms, pcount within 3, beyond the bracket); a
     * thread sampled from /proc (registered by its own JVM) only below the kernel's after.
     */
    private static void top(int pid) throws Exception {
        try (ProcessMonitor m = ProcessMonitor.open(pid, null)) {
            m.sample();
            Thread.sleep(300);
            java.util.Map<Integer, long[]> before = schedstats(pid);
            List<ThreadSample> threads = m.sample();
            java.util.Map<Integer, long[]> after = schedstats(pid);
            System.out.println("top mode " + m.mode() + " sampled " + m.sampledThreads() + " threads " + threads.size());
            System.out.println("top source " + m.source());
            int checked = 0;
            for (ThreadSample t : threads) {
                long[] b = before.get(t.tid());
                long[] a = after.get(t.tid());
                if (b == null || a == null) {
                    continue; // started or ended around the sample
                }
                long tolerance = a[0] / 100 + 2_000_000;
                boolean sampled = m.sampledThreads() > 0;
                boolean ok = t.sumExecRuntimeNanos() <= a[0] + tolerance && t.pcount() <= a[2] + 3
                        && (sampled || t.sumExecRuntimeNanos() >= b[0] - tolerance && t.pcount() >= b[2] - 3);
                if (!ok) {
                    System.out.println("MISMATCH tid " + t.tid() + ": top " + t + " vs schedstat before " + java.util.Arrays.toString(b)
                            + " after " + java.util.Arrays.toString(a));
                }
                checked++;
            }
            System.out.println("checked " + checked);
        }
    }

    private static java.util.Map<Integer, long[]> schedstats(int pid) throws java.io.IOException {
        java.util.Map<Integer, long[]> m = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    int tid = Integer.parseInt(t.getFileName().toString());
                    m.put(tid, Kernel.schedstat(tid));
                } catch (RuntimeException gone) {
                    // exited meanwhile
                }
            }
        }
        return m;
    }

    private static void attack(Path dir, int pid, int tid) throws Exception {
        for (String pin : List.of("tasks", "info", "seed", "seed_task", "switch_link", "exit_link")) {
            attempt("unlink " + pin, () -> Files.delete(dir.resolve(pin)));
        }
        attempt("create in dir", () -> Files.createFile(dir.resolve("planted")));
        attempt("open switch_link", () -> BpfLink.openPinned(dir.resolve("switch_link")).close());
        attempt("open info read-write", () -> BpfMap.openPinned(dir.resolve("info"), false).close());
        attempt("load program", () -> BpfProgram.load(ProgramType.RAW_TRACEPOINT, new Asm().mov(Reg.R0, 0).exit().build()).close());
        attempt("create map", () -> BpfMap.create(MapSpec.array(8, 1)).close());
        for (String seed : List.of("seed", "seed_task")) {
            attempt("attach " + seed + " to sched_switch", () -> {
                try (BpfProgram p = BpfProgram.openPinned(dir.resolve(seed))) {
                    p.attachRawTracepoint("sched_switch").close();
                }
            });
        }
        attempt("open region of " + pid, () -> {
            Path region = TaskShared.findRegion(pid).orElseThrow(() -> new java.nio.file.AccessDeniedException("/proc/" + pid + "/fd: not listable"));
            Files.newByteChannel(region).close();
        });
        // What a member can do: replace another process's thread entry with a slot of its own memory.
        attempt("replace entry of " + tid, () -> {
            try (BpfMap tasks = BpfMap.openPinned(dir.resolve("tasks"), false); Arena arena = Arena.ofConfined()) {
                int pidfd = Libc.pidfdOpenThread(tid);
                if (pidfd < 0) {
                    throw new ErrnoException("pidfd_open", -pidfd);
                }
                MemorySegment slot = arena.allocate(4096, 4096);
                MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
                key.set(ValueLayout.JAVA_INT, 0, pidfd);
                MemorySegment record = arena.allocate(tasks.valueSize(), 8);
                record.set(ValueLayout.JAVA_LONG, 0, slot.address());
                record.set(ValueLayout.JAVA_INT, 24, 1); // seeded: the programs write
                tasks.update(key, record, BpfMap.ANY);
                Thread.sleep(300);
                long written = slot.get(ValueLayout.JAVA_LONG, 32); // pcount, as the kernel wrote it into this process's page
                // Delete before the page is freed: the kernel keeps writing a registered page, even after free() reuses it.
                tasks.delete(key);
                Libc.closeQuietly(pidfd);
                System.out.println("replaced entry: the kernel wrote pcount " + written + " into the attacker's own page");
            }
        });
    }

    private interface Action {
        void run() throws Exception;
    }

    private static void attempt(String what, Action a) {
        try {
            a.run();
            System.out.println(what + ": ALLOWED");
        } catch (ErrnoException e) {
            System.out.println(what + ": " + e.errnoName());
        } catch (java.nio.file.AccessDeniedException e) {
            System.out.println(what + ": EACCES");
        } catch (Exception e) {
            System.out.println(what + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
