package dev.taskshared.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Feature;
import dev.taskshared.Interval;
import dev.taskshared.Mode;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.sys.Libc;
import dev.taskshared.taskstats.TaskStats;
import dev.taskshared.taskstats.TaskstatsClient;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.KernelTimes;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.SleepingProcess;
import dev.taskshared.testing.Work;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The numbers the programs take straight from the kernel's task_struct are the kernel's, exactly:
 * switch counts (also for sleeps a signal cut short), the run delay of the switch-ins inside an
 * interval, user and system time. And an interval never reports an impossible number.
 */
class KernelCountersTest {
    private static final int SIGPIPE = 13; // HotSpot ignores it: safe to flood a Java thread with
    private static final long SYS_TGKILL = 234;
    private TaskShared ts;

    @BeforeEach
    void start() {
        Privileged.require("bpf", BpfPublisherTest.bpfAvailableForTests(), "BPF publisher unavailable");
        ts = TaskShared.builder().mode(Mode.BPF).dataPath(dataPath() == null ? null : dataPath().jsonName()).build();
    }

    @AfterEach
    void stop() {
        if (ts != null) {
            ts.close();
        }
    }

    BpfPublisher.DataPath dataPath() {
        return null;
    }

    @Test
    void thisKernelGetsTheTaskStoragePath() throws Exception {
        String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        String[] v = release.split("[.-]");
        boolean atLeast613 = Integer.parseInt(v[0]) > 6 || Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) >= 13;
        if (dataPath() == null && atLeast613) {
            assertThat(ts.dataPath()).as(ts.modeDescription()).isEqualTo("task_storage");
        }
    }

    /**
     * A thread that parks 1,500 times while another thread floods it with signals: its switch counts
     * over the window equal /proc/&lt;tid&gt;/status's, voluntary and involuntary, exactly (the
     * kernel files a sleep cut short by a pending signal as voluntary; the tracepoint's prev_state
     * says otherwise, so the programs read the kernel's own counters).
     */
    @Test
    void switchCountsAreTheKernelsEvenForSleepsCutShortBySignals() throws Exception {
        AtomicBoolean sleeping = new AtomicBoolean();
        AtomicInteger signals = new AtomicInteger();
        CountDownLatch startWork = new CountDownLatch(1);
        try (BpfPublisherTest.Parked p = new BpfPublisherTest.Parked(ts, -1, () -> {
            await(startWork);
            sleeping.set(true);
            for (int i = 0; i < 1500; i++) {
                LockSupport.parkNanos(100_000);
            }
            sleeping.set(false);
        })) {
            while (p.handle.get() == null) {
                Thread.sleep(1);
            }
            ThreadStats h = p.handle.get();
            Thread.sleep(20); // blocked on startWork
            long[] kernelBefore = Kernel.switches(h.tid());
            long nvBefore = h.nvcsw();
            long nivBefore = h.nivcsw();
            startWork.countDown();
            while (!sleeping.get()) {
                Thread.onSpinWait();
            }
            int pid = Libc.getpid();
            while (sleeping.get()) {
                Libc.syscall("tgkill", SYS_TGKILL, pid, h.tid(), SIGPIPE, 0, 0, 0);
                signals.incrementAndGet();
                LockSupport.parkNanos(30_000);
            }
            p.awaitBlocked();
            long[] kernelAfter = Kernel.switches(h.tid());
            assertThat(signals.get()).as("signals sent").isGreaterThan(100);
            assertThat(h.nvcsw() - nvBefore).as("voluntary switches vs /proc status").isEqualTo(kernelAfter[0] - kernelBefore[0]);
            assertThat(h.nivcsw() - nivBefore).as("involuntary switches vs /proc status").isEqualTo(kernelAfter[1] - kernelBefore[1]);
            assertThat(kernelAfter[0] - kernelBefore[0]).isGreaterThanOrEqualTo(1500);
        }
    }

    /**
     * Two threads pinned to one CPU preempt each other. For every interval that brackets two reads
     * of /proc/thread-self/schedstat with no switch between the interval's ends and those reads,
     * the interval's run-queue wait equals the kernel's run_delay delta exactly: the wait before
     * start() is not charged, and each switch-in inside adds the wait the kernel adds. (Except
     * where the run-queue clock ran up to 20 µs ahead of the wall clock: then it is capped at the
     * interval's off-CPU time.)
     */
    @Test
    void runDelayOfAnIntervalIsTheKernelsOwn() throws Exception {
        int cpu = Libc.getAffinity(0)[0];
        AtomicBoolean stop = new AtomicBoolean();
        Thread rival = rival(cpu, stop, () -> Work.burnCpu(1_000_000));
        int[] compared = new int[1];
        long[] worst = new long[1];
        Thread t = Thread.ofPlatform().start(() -> {
            Libc.setAffinity(0, cpu);
            ThreadStats me = ts.currentThread();
            Interval op = me.newInterval();
            StatsSnapshot a = new StatsSnapshot();
            StatsSnapshot b = new StatsSnapshot();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < deadline && compared[0] < 200) {
                op.start();
                me.snapshot(a);
                long[] k0 = Kernel.schedstat(Libc.gettid());
                Work.burnCpu(3_000_000); // longer than a slice: the rival preempts us
                long[] k1 = Kernel.schedstat(Libc.gettid());
                me.snapshot(b);
                op.stop();
                // Only when no switch fell between the interval's ends and the /proc reads: the
                // interval saw exactly the switch-ins the kernel counted between the two reads.
                boolean sameRuns = a.pcount() == k0[2] && b.pcount() == k1[2];
                if (op.valid() && sameRuns && k1[2] > k0[2] && op.switches() == k1[2] - k0[2]) {
                    long diff = Math.abs(op.runDelayNanos() - (k1[1] - k0[1]));
                    boolean capped = op.runDelayNanos() == op.offCpuNanos() && diff <= 20_000; // Interval.CLOCK_SKEW_NANOS
                    worst[0] = Math.max(worst[0], capped ? 0 : diff);
                    compared[0]++;
                }
            }
        });
        t.join();
        stop.set(true);
        rival.join();
        assertThat(compared[0]).as("intervals with preemptions compared").isGreaterThan(20);
        assertThat(worst[0]).as("worst |interval run delay - kernel delta|, ns").isZero();
    }

    /** utime and stime are task_struct's, as taskstats reports them (ac_utime, ac_stime in us), while the thread is blocked. */
    @Test
    void userAndSystemTimeAreTheKernels() throws Exception {
        Privileged.require("taskstats", TaskstatsClient.unavailableReason().isEmpty(), TaskstatsClient.unavailableReason().orElse(""));
        try (BpfPublisherTest.Parked p = new BpfPublisherTest.Parked(ts, -1, () -> {
            Work.burnCpu(60_000_000L);
            for (int i = 0; i < 20_000; i++) {
                Libc.getpid(); // a little system time (glibc does not cache getpid)
                Libc.threadSwitches();
            }
        })) {
            ThreadStats h = p.awaitBlocked();
            assertThat(h.supports(Feature.UTIME)).isTrue();
            try (TaskstatsClient t = TaskstatsClient.open()) {
                TaskStats k = t.queryPid(h.tid());
                KernelTimes.assertAsTaskstatsSays(h, k);
            }
            assertThat(h.utimeNanos() + h.stimeNanos()).isGreaterThan(0);
        }
    }

    /**
     * A thread of another process, registered while it sleeps (as {@code top} registers a
     * process's threads), has the kernel's utime and stime at once: the task seed program reads
     * them from its task_struct, where /proc has only scaled clock ticks.
     */
    @Test
    void aThreadOfAnotherProcessHasTheKernelsUserAndSystemTimeAtOnce() throws Exception {
        Privileged.require("taskstats", TaskstatsClient.unavailableReason().isEmpty(), TaskstatsClient.unavailableReason().orElse(""));
        try (SleepingProcess child = SleepingProcess.start();
             TaskShared monitor = TaskShared.builder().watchProcess(child.pid()).mode(Mode.BPF)
                     .dataPath(dataPath() == null ? null : dataPath().jsonName()).build();
             TaskstatsClient t = TaskstatsClient.open()) {
            ThreadStats h = monitor.register(child.pid());
            if (!monitor.supports(Feature.UTIME)) {
                assertThat(monitor.dataPath()).as("only the map-pages path publishes no utime").isEqualTo("map_pages");
                return;
            }
            assertSeededAsTaskstatsSays(h, t.queryPid(child.pid()));
        }
    }

    /** utime and stime of a sleeping thread equal taskstats' (us), and no switch is counted since registration. */
    static void assertSeededAsTaskstatsSays(ThreadStats h, TaskStats k) {
        assertThat(h.utimeNanos()).as("the shell's loop ran in user mode").isPositive();
        KernelTimes.assertAsTaskstatsSays(h, k);
        assertThat(h.snapshot(new StatsSnapshot()).nvcsw()).as("switches since registration").isZero();
    }

    /**
     * Many short operations containing switches, on a CPU shared with a spinner: every valid
     * interval has 0 &lt;= CPU, off-CPU &lt;= wall and run-queue wait &lt;= off-CPU; invalid
     * ones stay exceptional (under 10 %) and say why.
     */
    @Test
    void intervalsNeverReportImpossibleNumbers() throws Exception {
        int cpu = Libc.getAffinity(0)[0];
        AtomicBoolean stop = new AtomicBoolean();
        Thread rival = rival(cpu, stop, () -> {
            Work.burnCpu(200_000);
            LockSupport.parkNanos(50_000);
        });
        int[] counts = new int[3]; // valid, invalid, impossible
        String[] reason = new String[1];
        Thread t = Thread.ofPlatform().start(() -> {
            Libc.setAffinity(0, cpu);
            Interval op = ts.currentThread().newInterval();
            for (int i = 0; i < 20_000; i++) {
                op.start();
                if (i % 2 == 0) {
                    LockSupport.parkNanos(20_000);
                } else {
                    Work.burnCpu(30_000);
                }
                op.stop();
                if (!op.valid()) {
                    counts[1]++;
                    reason[0] = op.invalidReason();
                    continue;
                }
                counts[0]++;
                long wall = op.wallNanos();
                if (op.cpuNanos() < 0 || op.cpuNanos() > wall || op.offCpuNanos() < 0 || op.offCpuNanos() > wall
                        || op.runDelayNanos() < 0 || op.runDelayNanos() > op.offCpuNanos()) {
                    counts[2]++;
                }
            }
        });
        t.join();
        stop.set(true);
        rival.join();
        assertThat(counts[2]).as("impossible valid intervals").isZero();
        // Measured 0.5-3.1 % on this VM: hypervisor steal and interrupt time make the kernel's task
        // clock, run-queue clock and wall clock disagree, and some switch-ins are never seen by the
        // program. Such intervals are invalid, not wrong; the bound only says they stay exceptional.
        assertThat(counts[1]).as("invalid intervals (last reason: %s)", reason[0]).isLessThan(counts[0] / 10 + 1);
    }

    /** A thread pinned to {@code cpu} that repeats {@code work} until {@code stop}: it competes for that CPU. */
    private static Thread rival(int cpu, AtomicBoolean stop, Runnable work) {
        return Thread.ofPlatform().start(() -> {
            Libc.setAffinity(0, cpu);
            while (!stop.get()) {
                work.run();
            }
        });
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
