package dev.taskshared;

import dev.taskshared.sys.Libc;

/**
 * Measures one operation on the current thread: {@link #start()} before, {@link #stop()} after,
 * then wall, CPU, off-CPU, run-queue wait and switches of just that operation. Reusable and
 * allocation-free; not thread-safe (one Interval per thread, like its handle).
 *
 * <p>In {@link Mode#BPF}: CPU = wall &minus; &Delta;off-CPU, exact, from loads only. In
 * {@link Mode#SAMPLING}: CPU from clock_gettime(CLOCK_THREAD_CPUTIME_ID) at start and stop
 * (exact, two syscalls), off-CPU = wall &minus; CPU; run-queue wait and switches are as of the
 * sampler's last pass, so they are only meaningful over intervals longer than its period.
 *
 * <p>On a virtual thread, the interval is valid only if start and stop ran on the same carrier
 * OS thread as the handle; otherwise {@link #valid()} is false and the getters throw rather than
 * report another thread's numbers.
 */
public final class Interval {
    private final ThreadStats stats;
    private final boolean offCpuFromSlot;
    private final boolean runDelay;
    private final boolean pcount;
    private final boolean switches;
    private long startWall;
    private long startCpu;
    private long startOff;
    private long startRunDelay;
    private long startPcount;
    private long startNvcsw;
    private long startNivcsw;
    private boolean startOnHandleThread;
    private long wall = -1;
    private long cpu;
    private long off;
    private long runDelayNanos;
    private long pcountDelta;
    private long nvcswDelta;
    private long nivcswDelta;
    private boolean valid;

    Interval(ThreadStats stats) {
        this.stats = stats;
        this.offCpuFromSlot = stats.supports(Feature.OFF_CPU);
        this.runDelay = stats.supports(Feature.RUN_DELAY);
        this.pcount = stats.supports(Feature.PCOUNT);
        this.switches = stats.supports(Feature.NVCSW) && stats.supports(Feature.NIVCSW);
    }

    /** Marks the start of the operation. */
    public Interval start() {
        startOnHandleThread = onHandleThread();
        startWall = System.nanoTime();
        if (offCpuFromSlot) {
            startOff = stats.offCpuNanos();
        } else {
            startCpu = stats.cpuTimeNowNanos();
        }
        startRunDelay = runDelay ? stats.runDelayNanos() : 0;
        startPcount = pcount ? stats.pcount() : 0;
        if (switches) {
            startNvcsw = stats.nvcsw();
            startNivcsw = stats.nivcsw();
        }
        wall = -1;
        return this;
    }

    /** Marks the end of the operation; the getters then describe start..stop. */
    public Interval stop() {
        long endWall = System.nanoTime();
        if (offCpuFromSlot) {
            off = stats.offCpuNanos() - startOff;
            wall = endWall - startWall;
            cpu = wall - off;
        } else {
            cpu = stats.cpuTimeNowNanos() - startCpu;
            wall = endWall - startWall;
            off = Math.max(0, wall - cpu);
        }
        runDelayNanos = runDelay ? stats.runDelayNanos() - startRunDelay : 0;
        pcountDelta = pcount ? stats.pcount() - startPcount : 0;
        if (switches) {
            nvcswDelta = stats.nvcsw() - startNvcsw;
            nivcswDelta = stats.nivcsw() - startNivcsw;
        }
        valid = startOnHandleThread && onHandleThread();
        return this;
    }

    /**
     * Whether we run on the handle's OS thread. A platform handle knows its Java thread (one
     * load); a carrier handle (taken on a virtual thread) asks the kernel with gettid.
     */
    private boolean onHandleThread() {
        Thread owner = stats.owner();
        return owner != null ? Thread.currentThread() == owner : Libc.gettid() == stats.tid();
    }

    /** False when the interval was not stopped, or ran (partly) on a thread other than the handle's. */
    public boolean valid() {
        return wall >= 0 && valid;
    }

    private void check() {
        if (wall < 0) {
            throw new IllegalStateException("interval not stopped");
        }
        if (!valid) {
            throw new IllegalStateException("interval ran on another carrier thread than thread " + stats.tid()
                    + " (a virtual thread moved, or the handle belongs to another thread): its numbers would be wrong");
        }
    }

    /** Elapsed nanoseconds. */
    public long wallNanos() {
        check();
        return wall;
    }

    /** Nanoseconds on CPU during the interval. */
    public long cpuNanos() {
        check();
        return cpu;
    }

    /** Nanoseconds off CPU (blocked, sleeping or waiting to run) during the interval. */
    public long offCpuNanos() {
        check();
        return off;
    }

    /** Nanoseconds runnable but waiting on a run queue during the interval. */
    public long runDelayNanos() {
        check();
        return runDelayNanos;
    }

    /** Times scheduled in during the interval. */
    public long switches() {
        check();
        return pcountDelta;
    }

    /** Voluntary switches during the interval. */
    public long voluntarySwitches() {
        check();
        return nvcswDelta;
    }

    /** Involuntary switches (preemptions) during the interval. */
    public long involuntarySwitches() {
        check();
        return nivcswDelta;
    }

    /** The handle this interval measures. */
    public ThreadStats stats() {
        return stats;
    }
}
