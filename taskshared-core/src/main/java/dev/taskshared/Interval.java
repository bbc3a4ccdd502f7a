package dev.taskshared;

import dev.taskshared.region.SlotValues;
import dev.taskshared.sys.Libc;
import dev.taskshared.vthread.spi.VirtualThreadMeasures;

/**
 * Measures one operation on the current thread: {@link #start()} before, {@link #stop()} after,
 * then wall, CPU, off-CPU, run-queue wait and switches of just that operation. Reusable and
 * allocation-free; not thread-safe (one Interval per thread, like its handle).
 *
 * <p>In {@link Mode#BPF}: CPU = wall &minus; &Delta;off-CPU, exact, from loads only; run-queue
 * wait is the kernel's own run_delay for the switch-ins inside the interval (a wait before
 * {@link #start()} is not charged to it). In {@link Mode#SAMPLING}: CPU from
 * clock_gettime(CLOCK_THREAD_CPUTIME_ID) at start and stop (exact, two syscalls), off-CPU = wall
 * &minus; CPU; run-queue wait and switches are as of the sampler's last pass, so they are only
 * meaningful over intervals longer than its period (run-queue wait is capped at off-CPU time).
 *
 * <p>Never impossible: CPU, off-CPU and run-queue time lie within 0..wall, and run-queue time
 * within 0..off-CPU (where the kernel's clocks disagree by up to 20 µs, off-CPU is capped at wall
 * and run-queue time at off-CPU; beyond that the interval is invalid). When the numbers
 * cannot be trusted &mdash; the interval ran (partly) on another OS thread than the handle's (a
 * virtual thread moved to another carrier), or the kernel's counters show a context switch the
 * publisher did not see &mdash; {@link #valid()} is false, {@link #invalidReason()} says why and
 * the getters throw.
 *
 * <p>With the taskshared agent active ({@link dev.taskshared.vthread.VirtualThreads}), an interval
 * started on a virtual thread measures the virtual thread itself instead, and stays valid across
 * remounts on any carrier.
 */
public final class Interval {
    /**
     * How far two of the kernel's clocks may disagree over one interval before the interval is
     * called invalid rather than capped: the run-queue clock (run delay) against the wall clock, and
     * the task clock (sum_exec_runtime, which leaves out interrupt and steal time) against the wall
     * clock (off-CPU = wall - CPU).
     */
    static final long CLOCK_SKEW_NANOS = 20_000;
    private final ThreadStats stats;
    private final boolean fromSlot;
    private final boolean runDelay;
    private final boolean pcount;
    private final boolean switches;
    private final SlotValues begin = new SlotValues();
    private final SlotValues end = new SlotValues();
    private long startWall;
    private long startCpu;
    private boolean startOnHandleThread;
    private long wall = -1;
    private long cpu;
    private long off;
    private long runDelayNanos;
    private long pcountDelta;
    private long nvcswDelta;
    private long nivcswDelta;
    private String invalidReason;
    // Virtual threads under the agent (issue 13): see start() and stop().
    private VirtualThreadMeasures.Measurement virtual;
    private boolean onVirtual;

    Interval(ThreadStats stats) {
        this.stats = stats;
        this.fromSlot = stats.supports(Feature.OFF_CPU);
        this.runDelay = stats.supports(Feature.RUN_DELAY);
        this.pcount = stats.supports(Feature.PCOUNT);
        this.switches = stats.supports(Feature.NVCSW) && stats.supports(Feature.NIVCSW);
    }

    /** Marks the start of the operation. */
    public Interval start() {
        onVirtual = Thread.currentThread().isVirtual() && VirtualThreadMeasures.applies();
        if (onVirtual) { // a virtual thread measured by the agent, across remounts (dev.taskshared.vthread)
            if (virtual == null) {
                virtual = VirtualThreadMeasures.newMeasurement();
            }
            virtual.start();
            wall = -1;
            return this;
        }
        try {
            return startReading();
        } catch (IllegalStateException e) {
            return takenAway(e);
        }
    }

    private Interval startReading() {
        startOnHandleThread = onHandleThread();
        if (fromSlot) {
            stats.read(begin);
            startWall = begin.readAtNanos();
        } else {
            stats.read(begin);
            startWall = System.nanoTime();
            startCpu = stats.cpuTimeNowNanos();
        }
        wall = -1;
        return this;
    }

    /**
     * Marks the end of the operation; the getters then describe start..stop. When the handle's
     * registration was taken away meanwhile ({@link ThreadStats#releaseReason()}), the interval is
     * invalid with that reason, for good: take a new handle with {@link TaskShared#current()}.
     */
    public Interval stop() {
        if (onVirtual) {
            stopVirtual();
            return this;
        }
        if (stats.releaseReason() != null) {
            return takenAway(null);
        }
        try {
            return stopReading();
        } catch (IllegalStateException e) {
            return takenAway(e);
        }
    }

    /** The handle's registration was taken away: invalid with the reason. Rethrows {@code e} for any other release (a misuse). */
    private Interval takenAway(IllegalStateException e) {
        String why = stats.releaseReason();
        if (why == null) {
            throw e;
        }
        wall = 0;
        invalidReason = "the thread's registration was taken away: " + why;
        return this;
    }

    private Interval stopReading() {
        if (fromSlot) {
            stats.read(end);
            wall = end.readAtNanos() - startWall;
            off = end.offCpuNanos() - begin.offCpuNanos();
            cpu = wall - off;
        } else {
            // CPU clock first, then wall: the CPU window lies inside the wall window.
            long cpuNow = stats.cpuTimeNowNanos();
            stats.read(end);
            wall = end.readAtNanos() - startWall;
            cpu = Math.max(0, Math.min(cpuNow - startCpu, wall)); // two clocks: never more CPU than time passed
            off = wall - cpu;
        }
        runDelayNanos = runDelay ? end.runDelayNanos() - begin.runDelayNanos() : 0;
        pcountDelta = pcount ? end.pcount() - begin.pcount() : 0;
        nvcswDelta = switches ? end.nvcsw() - begin.nvcsw() : 0;
        nivcswDelta = switches ? end.nivcsw() - begin.nivcsw() : 0;
        if (!fromSlot) {
            runDelayNanos = Math.max(0, Math.min(runDelayNanos, off)); // sampled: as of the last passes
        }
        invalidReason = check();
        return this;
    }

    private void stopVirtual() {
        virtual.stop();
        invalidReason = virtual.invalidReason();
        if (invalidReason != null) {
            wall = 0; // stopped; the reason says why there are no numbers
            return;
        }
        wall = virtual.wallNanos();
        cpu = virtual.cpuNanos();
        off = virtual.offCpuNanos();
        runDelayNanos = virtual.runDelayNanos();
        nvcswDelta = virtual.voluntarySwitches();
        nivcswDelta = virtual.involuntarySwitches();
        pcountDelta = nvcswDelta + nivcswDelta;
        if (wall < 0 || cpu < 0 || off < 0 || cpu + off != wall || runDelayNanos < 0 || runDelayNanos > off) {
            invalidReason = "virtual-thread numbers outside their bounds: wall " + wall + ", CPU " + cpu + ", off-CPU " + off
                    + ", run-queue " + runDelayNanos + " ns";
        }
    }

    /** Why the numbers cannot be trusted, or null. */
    private String check() {
        if (!startOnHandleThread || !onHandleThread()) {
            return "the interval ran on another OS thread than thread " + stats.tid()
                    + " (a virtual thread moved to another carrier, or the handle belongs to another thread)";
        }
        if (!fromSlot) {
            return null;
        }
        if (begin.onCpuSinceNanos() == 0 || end.onCpuSinceNanos() == 0) {
            return "the publisher did not see the switch-in of the running thread (the slot says off CPU)";
        }
        if (switches && pcount && pcountDelta != nvcswDelta + nivcswDelta) {
            return "the kernel counted " + (nvcswDelta + nivcswDelta) + " switches but the publisher saw " + pcountDelta + " switch-ins";
        }
        if (off > wall && off - wall <= CLOCK_SKEW_NANOS) {
            off = wall; // the kernel's CPU clock leaves out interrupt and steal time the wall clock counts
            cpu = 0;
        }
        if (off < 0 || off > wall) {
            return "off-CPU time " + off + " ns outside 0.." + wall + " ns of wall time";
        }
        if (runDelayNanos > off && runDelayNanos - off <= CLOCK_SKEW_NANOS) {
            runDelayNanos = off; // two clocks: the run-queue clock may run microseconds ahead of the wall clock
        }
        if (runDelayNanos < 0 || runDelayNanos > off) {
            return "run-queue time " + runDelayNanos + " ns outside 0.." + off + " ns of off-CPU time";
        }
        return null;
    }

    /**
     * Whether we run on the handle's OS thread. A platform handle knows its Java thread (one
     * load); a carrier handle (taken on a virtual thread) asks the kernel with gettid.
     */
    private boolean onHandleThread() {
        Thread owner = stats.owner();
        return owner != null ? Thread.currentThread() == owner : Libc.gettid() == stats.tid();
    }

    /** False when the interval was not stopped, or its numbers cannot be trusted ({@link #invalidReason()}). */
    public boolean valid() {
        return wall >= 0 && invalidReason == null;
    }

    /** Why {@link #valid()} is false, or null when it is true. */
    public String invalidReason() {
        return wall < 0 ? "interval not stopped" : invalidReason;
    }

    private void checkValid() {
        if (!valid()) {
            throw new IllegalStateException("interval numbers unavailable: " + invalidReason());
        }
    }

    /** Elapsed nanoseconds. */
    public long wallNanos() {
        checkValid();
        return wall;
    }

    /** Nanoseconds on CPU during the interval, within 0..wall. */
    public long cpuNanos() {
        checkValid();
        return cpu;
    }

    /** Nanoseconds off CPU (blocked, sleeping or waiting to run) during the interval, within 0..wall. */
    public long offCpuNanos() {
        checkValid();
        return off;
    }

    /** Nanoseconds runnable but waiting on a run queue during the interval, within 0..off-CPU. */
    public long runDelayNanos() {
        checkValid();
        return runDelayNanos;
    }

    /** Times scheduled in during the interval. */
    public long switches() {
        checkValid();
        return pcountDelta;
    }

    /** Voluntary switches during the interval (the kernel's count). */
    public long voluntarySwitches() {
        checkValid();
        return nvcswDelta;
    }

    /** Involuntary switches (preemptions) during the interval (the kernel's count). */
    public long involuntarySwitches() {
        checkValid();
        return nivcswDelta;
    }

    /** The handle this interval measures. */
    public ThreadStats stats() {
        return stats;
    }
}
