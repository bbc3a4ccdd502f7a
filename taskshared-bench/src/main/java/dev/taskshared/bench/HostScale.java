package dev.taskshared.bench;

import dev.taskshared.TaskShared;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.BpfStats;
import dev.taskshared.bpf.ProgramInfo;
import dev.taskshared.host.HostInstaller;
import dev.taskshared.host.HostStatus;
import dev.taskshared.sys.Libc;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a context switch costs with no publisher, then with 0, 1 and N JVMs using the host publisher (each with T threads
 * registered and parked), against N JVMs each loading programs of its own: the round trip of a
 * one-CPU pipe ping-pong between two processes that nobody registered (a child JVM and
 * {@code cat}, both pinned to CPU 0: two switches per round trip), and the kernel's BPF run-time
 * statistics of every switch program of ours (total program time per switch). Also counts the
 * switch programs attached and the tasks registered in each phase. Needs root: it installs a
 * host publisher into a private BPF file system mounted on a temporary directory, and removes it.
 *
 * <p>Usage: {@code HostScale [seconds per phase] [jvms] [threads per jvm]} (default 3 20 100).
 * Internal modes: {@code hold T} (a JVM that registers T parked threads), {@code pingpong S}.
 */
public final class HostScale {
    private static final List<String> SWITCH_PROGRAMS = List.of("tsh_switch", "ts_switch");
    /** Switch programs loaded before this run (other processes'): left out of the counts. */
    private static final java.util.Set<Integer> BASELINE = new java.util.HashSet<>();

    private HostScale() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("hold")) {
            hold(Integer.parseInt(args[1]));
            return;
        }
        if (args.length > 0 && args[0].equals("pingpong")) {
            pingPong(Double.parseDouble(args[1]));
            return;
        }
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int jvms = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        BASELINE.addAll(switchPrograms().keySet());
        Path mount = Files.createTempDirectory("taskshared-hostscale-");
        Libc.mount("bpf", mount.toString(), "bpf", 0);
        Path dir = mount.resolve("taskshared");
        List<Process> children = new ArrayList<>();
        try {
            phase("nothing installed", dir, seconds);
            System.out.println(HostInstaller.install(HostInstaller.Options.defaults().dir(dir).group("0")).message());
            System.out.printf("pipe ping-pong of two unregistered processes on CPU 0, %.0f s per phase; %d threads per JVM, parked%n",
                    seconds, threads);
            phase("host publisher, 0 JVMs", dir, seconds);
            children.addAll(startHolders(dir.toString(), 1, threads));
            phase("host publisher, 1 JVM", dir, seconds);
            children.addAll(startHolders(dir.toString(), jvms - 1, threads));
            phase("host publisher, " + jvms + " JVMs", dir, seconds);
            stop(children);
            children.addAll(startHolders("none", jvms, threads));
            phase(jvms + " JVMs with programs of their own", dir, seconds);
        } finally {
            stop(children);
            HostInstaller.uninstall(dir);
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
            Files.deleteIfExists(mount);
        }
    }

    private static void phase(String name, Path dir, double seconds) throws Exception {
        Thread.sleep(1000); // let the JVMs settle
        long registered = HostStatus.probe(dir, Duration.ofMillis(1)).registeredTasks();
        Map<Integer, ProgramInfo> before;
        double roundTripNanos;
        Map<Integer, ProgramInfo> after;
        try (BpfStats stats = BpfStats.enable()) {
            before = switchPrograms();
            roundTripNanos = runPingPong(seconds);
            after = switchPrograms();
        }
        long runs = 0;
        long timeNanos = 0;
        long maxRuns = 0;
        for (Map.Entry<Integer, ProgramInfo> e : after.entrySet()) {
            ProgramInfo b = before.get(e.getKey());
            if (b == null) {
                continue;
            }
            long r = e.getValue().runCount() - b.runCount();
            runs += r;
            maxRuns = Math.max(maxRuns, r);
            timeNanos += e.getValue().runTimeNs() - b.runTimeNs();
        }
        // Every switch runs every attached switch program once: program time per switch = total time / one program's runs.
        System.out.printf("%-40s switch programs attached %3d  tasks in the host map %5s  round trip %8.0f ns  "
                        + "switch programs per switch %7.1f ns (%d runs)%n",
                name, after.size(), registered < 0 ? "-" : Long.toString(registered), roundTripNanos, maxRuns == 0 ? Double.NaN : (double) timeNanos / maxRuns, runs);
    }

    /** Our switch programs loaded now (the host's and any JVM's own), by id. */
    private static Map<Integer, ProgramInfo> switchPrograms() {
        Map<Integer, ProgramInfo> m = new HashMap<>();
        for (int id : BpfProgram.allIds()) {
            BpfProgram.byId(id).ifPresent(p -> {
                try (p) {
                    ProgramInfo info = p.info();
                    if (SWITCH_PROGRAMS.contains(info.name()) && !BASELINE.contains(id)) {
                        m.put(id, info);
                    }
                }
            });
        }
        return m;
    }

    private static List<Process> startHolders(String hostDir, int n, int threads) throws Exception {
        List<Process> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            started.add(java("-Dtaskshared.hostPublisher=" + hostDir, "-Xss256k", "hold", Integer.toString(threads)));
        }
        for (Process p : started) {
            String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (line == null || !line.startsWith("ready")) {
                throw new IllegalStateException("a holder JVM said: " + line);
            }
        }
        return started;
    }

    private static double runPingPong(double seconds) throws Exception {
        Process p = java("-Dtaskshared.hostPublisher=none", "-Xss256k", "pingpong", Double.toString(seconds));
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!p.waitFor(60, TimeUnit.SECONDS) || line == null) {
            p.destroyForcibly();
            throw new IllegalStateException("ping-pong did not finish");
        }
        return Double.parseDouble(line.strip());
    }

    private static Process java(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:-UsePerfData", "-Xmx48m", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(args).subList(0, 2));
        cmd.add(HostScale.class.getName());
        cmd.addAll(List.of(args).subList(2, args.length));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void stop(List<Process> ps) throws InterruptedException {
        for (Process p : ps) {
            p.destroyForcibly();
        }
        for (Process p : ps) {
            p.waitFor(30, TimeUnit.SECONDS);
        }
        ps.clear();
    }

    /** A JVM with {@code threads} threads registered (host publisher, or its own programs) and parked until killed. */
    private static void hold(int threads) throws Exception {
        TaskShared ts = TaskShared.get();
        CountDownLatch registered = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            Thread.ofPlatform().daemon().start(() -> {
                TaskShared.current();
                registered.countDown();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        registered.await();
        System.out.println("ready " + ts.mode() + " " + ts.registeredThreads() + " own programs " + ts.bpfProgramInfo().size());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Prints the mean round trip in ns of a 1-byte ping-pong with {@code cat} over pipes, both on CPU 0. */
    private static void pingPong(double seconds) throws Exception {
        Libc.setAffinity(Libc.gettid(), 0);
        Process cat = new ProcessBuilder("taskset", "-c", "0", "cat").start();
        try {
            OutputStream out = cat.getOutputStream();
            InputStream in = cat.getInputStream();
            long warmEnd = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < warmEnd) {
                roundTrip(out, in);
            }
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long rounds = 0;
            long now;
            do {
                roundTrip(out, in);
                rounds++;
                now = System.nanoTime();
            } while (now < end);
            System.out.println((double) (now - start) / rounds);
        } finally {
            cat.destroyForcibly();
        }
    }

    private static void roundTrip(OutputStream out, InputStream in) throws Exception {
        out.write(1);
        out.flush();
        if (in.read() < 0) {
            throw new IllegalStateException("cat ended");
        }
    }
}
