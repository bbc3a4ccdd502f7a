package dev.taskshared.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.sys.Libc;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The BPF publisher against the kernel's own accounting, on this machine's real scheduler.
 *
 * <p>Tolerances (from the issue): sum_exec_runtime and run_delay of a blocked thread within 1% +
 * 2 ms of /proc/&lt;tid&gt;/schedstat, pcount within 3; exact CPU time now within 50 us of
 * CLOCK_THREAD_CPUTIME_ID; on-CPU + off-CPU = wall within 0.1%.
 */
class BpfPublisherTest {
    private TaskShared ts;

    @BeforeEach
    void start() {
        Privileged.require("bpf", bpfAvailable(), bpfReason);
        ts = TaskShared.builder().mode(Mode.BPF).dataPath(dataPath() == null ? null : dataPath().jsonName()).build();
    }

    /** The data path under test: null = the best this kernel offers (task storage here). */
    BpfPublisher.DataPath dataPath() {
        return null;
    }

    @AfterEach
    void stop() {
        if (ts != null) {
            ts.close();
        }
    }

    private static String bpfReason = "";

    /** Whether this machine can run the BPF publisher (the reason is kept for the skip message). */
    static boolean bpfAvailableForTests() {
        return bpfAvailable();
    }

    private static boolean bpfAvailable() {
        if (!Btf.vmlinuxAvailable()) {
            bpfReason = "no /sys/kernel/btf/vmlinux";
            return false;
        }
        try (BpfPublisher p = BpfPublisher.start()) {
            return true;
        } catch (RuntimeException e) {
            bpfReason = e.getMessage();
            return false;
        }
    }


    /** A thread that runs {@code work}, then parks until released; its handle is published. */
    static final class Parked implements AutoCloseable {
        final CountDownLatch done = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<ThreadStats> handle = new AtomicReference<>();
        final Thread thread;

        Parked(TaskShared ts, int cpu, Runnable work) {
            thread = Thread.ofPlatform().name("parked").start(() -> {
                if (cpu >= 0) {
                    Libc.setAffinity(0, cpu);
                }
                handle.set(ts.currentThread());
                work.run();
                done.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        ThreadStats awaitBlocked() throws InterruptedException {
            done.await();
            Thread.sleep(20); // it is parked by now: its last event was a switch-out
            return handle.get();
        }

        @Override
        public void close() throws InterruptedException {
            release.countDown();
            thread.join();
        }
    }

    static void assertAgreesWithSchedstat(ThreadStats h) throws IOException {
        StatsSnapshot s = h.snapshot(new StatsSnapshot());
        long[] k = Kernel.schedstat(h.tid());
        assertThat(s.sumExecRuntimeNanos()).as("sum_exec_runtime vs schedstat").isCloseTo(k[0], offset(k[0] / 100 + 2_000_000));
        assertThat(s.runDelayNanos()).as("run_delay vs schedstat").isCloseTo(k[1], offset(k[1] / 100 + 2_000_000));
        assertThat(s.pcount()).as("pcount vs schedstat").isCloseTo(k[2], offset(3L));
        assertThat(s.onCpuSinceNanos()).as("blocked: not on CPU").isZero();
    }

    @Test
    void spinningThenBlockedThreadAgreesWithSchedstat() throws Exception {
        try (Parked p = new Parked(ts, -1, () -> Work.burnCpu(200_000_000L))) {
            ThreadStats h = p.awaitBlocked();
            assertThat(h.mode()).isEqualTo(Mode.BPF);
            assertAgreesWithSchedstat(h);
            assertThat(h.sumExecRuntimeNanos()).isGreaterThan(100_000_000L);
        }
    }

    @Test
    void sleepingThreadAccumulatesOffCpuAndVoluntarySwitches() throws Exception {
        try (Parked p = new Parked(ts, -1, () -> {
            for (int i = 0; i < 20; i++) {
                Work.sleep(5);
            }
        })) {
            ThreadStats h = p.awaitBlocked();
            assertAgreesWithSchedstat(h);
            assertThat(h.offCpuNanos()).as("slept 20 x 5 ms").isGreaterThan(90_000_000L);
            assertThat(h.nvcsw()).as("each sleep is a voluntary switch").isGreaterThanOrEqualTo(20);
        }
    }

    @Test
    void aBlockedThreadsOffCpuTimeGrowsAsOfNow() throws Exception {
        try (Parked p = new Parked(ts, -1, () -> Work.burnCpu(10_000_000L))) {
            ThreadStats h = p.awaitBlocked();
            StatsSnapshot first = h.snapshot(new StatsSnapshot());
            long t1 = System.nanoTime();
            Thread.sleep(50);
            StatsSnapshot second = h.snapshot(new StatsSnapshot());
            long t2 = System.nanoTime();
            assertThat(second.offCpuNanos()).as("published at switch-in only").isEqualTo(first.offCpuNanos());
            assertThat(second.offCpuNanosAt(t2) - first.offCpuNanosAt(t1)).as("as of now, while blocked")
                    .isCloseTo(t2 - t1, offset(1_000_000L));
        }
    }

    @Test
    void threadsPinnedToOneCpuWaitOnItsRunQueue() throws Exception {
        List<Parked> threads = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                threads.add(new Parked(ts, 0, () -> Work.burnCpu(150_000_000L)));
            }
            long totalDelay = 0;
            for (Parked p : threads) {
                ThreadStats h = p.awaitBlocked();
                assertAgreesWithSchedstat(h);
                totalDelay += h.runDelayNanos();
                assertThat(h.nivcsw()).as("preempted by its neighbours").isGreaterThan(0);
            }
            assertThat(totalDelay).as("three spinners on one CPU wait for each other").isGreaterThan(100_000_000L);
        } finally {
            for (Parked p : threads) {
                p.close();
            }
        }
    }

    /**
     * Exact CPU time now lies within 50 us of the kernel's CLOCK_THREAD_CPUTIME_ID bracket, and
     * never steps back. Between switches it counts wall time as CPU, so a burst of time the
     * hypervisor stole from this VM while the thread ran (which the kernel's clock leaves out, and
     * /proc/stat shows only in 10 ms ticks) shows as an excess: a measurement with such a burst is
     * repeated, on a fresh thread, up to three times, and the steal /proc/stat saw is tolerated.
     */
    @Test
    void exactCpuTimeNowAgreesWithClockThreadCputime() throws Exception {
        long worst = Long.MAX_VALUE;
        long tolerance = 50_000;
        for (int attempt = 0; attempt < 3 && worst >= tolerance; attempt++) {
            long stealBefore = Kernel.stealNanos();
            long[] result = new long[1];
            Thread t = Thread.ofPlatform().start(() -> result[0] = worstBracketDistance(ts.currentThread()));
            t.join();
            long steal = Kernel.stealNanos() - stealBefore;
            worst = result[0];
            tolerance = 50_000 + (steal > 0 ? steal + Kernel.TICK_NANOS : 0);
        }
        assertThat(worst).as("worst distance outside the kernel's bracket, ns").isLessThan(tolerance);
    }

    /** The worst distance of 2,000 reads from the kernel's bracket; asserts they never step back. */
    private static long worstBracketDistance(ThreadStats me) {
        assertThat(me.supports(Feature.ON_CPU_SINCE)).isTrue();
        long worst = 0;
        long previous = 0;
        for (int i = 0; i < 2000; i++) {
            long a = Libc.threadCpuTimeNanos();
            long ours = me.cpuTimeNowNanos();
            long b = Libc.threadCpuTimeNanos();
            worst = Math.max(worst, Math.max(a - ours, ours - b)); // ours must fall inside [a, b]
            assertThat(ours).as("monotonic").isGreaterThanOrEqualTo(previous);
            previous = ours;
        }
        return worst;
    }

    /**
     * On-CPU + off-CPU = wall: an Interval's CPU (wall minus the slot's off-CPU delta) agrees with
     * the kernel's CLOCK_THREAD_CPUTIME_ID over the same interval within 0.1% of the wall time.
     * The kernel's clock is read on both sides of start() and stop(), so its delta brackets the
     * interval's even if the thread is preempted there.
     */
    @Test
    void onCpuPlusOffCpuEqualsWall() throws Exception {
        long[] r = new long[6];
        Thread t = Thread.ofPlatform().start(() -> {
            ThreadStats me = ts.currentThread();
            dev.taskshared.Interval in = me.newInterval();
            in.start().stop(); // warm
            long a = Libc.threadCpuTimeNanos();
            in.start();
            long b = Libc.threadCpuTimeNanos();
            for (int i = 0; i < 40; i++) {
                Work.burnCpu(5_000_000L);
                Work.sleep(5);
            }
            long c = Libc.threadCpuTimeNanos();
            in.stop();
            long d = Libc.threadCpuTimeNanos();
            r[0] = in.wallNanos();
            r[1] = in.cpuNanos();
            r[2] = in.offCpuNanos();
            r[3] = c - b;
            r[4] = d - a;
            r[5] = in.switches();
        });
        t.join();
        long wall = r[0];
        long tolerance = wall / 1000;
        assertThat(r[2]).as("it slept 40 x 5 ms").isGreaterThan(150_000_000L);
        assertThat(r[1] + r[2]).isEqualTo(wall);
        assertThat(r[1]).as("on-CPU from wall - off-CPU (%d switches) vs CLOCK_THREAD_CPUTIME_ID [%d, %d], wall %d",
                r[5], r[3], r[4], wall).isBetween(r[3] - tolerance, r[4] + tolerance);
    }

    @Test
    void tenThousandThreadsAddPagesAndReuseSlots() throws Exception {
        int n = 10_000;
        List<Thread> threads = new ArrayList<>();
        CountDownLatch registered = new CountDownLatch(n);
        CountDownLatch exit = new CountDownLatch(1);
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofPlatform().stackSize(64 * 1024).start(() -> {
                ThreadStats me = ts.currentThread();
                registered.countDown();
                try {
                    exit.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (me.tid() % 2 == 0) {
                    me.release(); // half release, half just die
                }
            }));
        }
        registered.await();
        assertThat(ts.registeredThreads()).isEqualTo(n);
        assertThat(ts.slotCapacity()).isEqualTo(((n + 31) / 32) * 32);
        exit.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ts.registeredThreads()).as("exits free slots through the ring buffer").isZero();
        int capacity = ts.slotCapacity();
        ThreadStats again = ts.currentThread();
        assertThat(ts.slotCapacity()).as("a freed slot is reused, no page added").isEqualTo(capacity);
        again.release();
    }

    @Test
    void closingDetachesEverything() throws Exception {
        ts.close();
        ts = null;
        long before = bpfFds();
        try (TaskShared other = TaskShared.builder().mode(Mode.BPF).build()) {
            other.currentThread();
            assertThat(bpfFds()).isGreaterThan(before);
        }
        assertThat(bpfFds()).as("bpf-prog, bpf-link and bpf-map descriptors left open").isEqualTo(before);
    }

    /** Open descriptors of this process that are BPF objects (anon_inode:bpf-prog, bpf-map, bpf_link). */
    static long bpfFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().contains("bpf");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }
}
