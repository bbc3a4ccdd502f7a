package dev.taskshared;

import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.sys.Libc;
import java.lang.foreign.MemorySegment;

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
 * report another thread's numbers. With the taskshared agent active
 * ({@link dev.taskshared.vthread.VirtualThreads}), it measures the virtual thread itself instead,
 * and stays valid across remounts on any carrier.
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
    private long wallRead;
    // Virtual threads under the agent (issue 13): see start() and stop().
    private dev.taskshared.vthread.VirtualInterval virtual;
    private boolean onVirtual;

    Interval(ThreadStats stats) {
        this.stats = stats;
        this.offCpuFromSlot = stats.supports(Feature.OFF_CPU);
        this.runDelay = stats.supports(Feature.RUN_DELAY);
        this.pcount = stats.supports(Feature.PCOUNT);
        this.switches = stats.supports(Feature.NVCSW) && stats.supports(Feature.NIVCSW);
    }

    /** Marks the start of the operation. */
    public Interval start() {
        // --- issue 13: a virtual thread measured by the agent, across remounts (dev.taskshared.vthread)
        onVirtual = dev.taskshared.vthread.VirtualInterval.applies();
        if (onVirtual) {
            if (virtual == null) {
                virtual = new dev.taskshared.vthread.VirtualInterval();
            }
            virtual.start();
            wall = -1;
            return this;
        }
        // --- end issue 13
        startOnHandleThread = onHandleThread();
        if (offCpuFromSlot) {
            startOff = offCpuAndWall();
            startWall = wallRead;
        } else {
            startWall = System.nanoTime();
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
        // --- issue 13: a virtual thread measured by the agent
        if (onVirtual) {
            virtual.stop();
            valid = virtual.invalidReason() == null;
            wall = virtual.wallNanos();
            cpu = virtual.cpuNanos();
            off = virtual.offCpuNanos();
            runDelayNanos = virtual.runDelayNanos();
            nvcswDelta = virtual.voluntarySwitches();
            nivcswDelta = virtual.involuntarySwitches();
            pcountDelta = nvcswDelta + nivcswDelta;
            return this;
        }
        // --- end issue 13
        if (offCpuFromSlot) {
            off = offCpuAndWall() - startOff;
            wall = wallRead - startWall;
            cpu = wall - off;
        } else {
            // CPU clock first, then wall: the CPU window lies inside the wall window.
            cpu = stats.cpuTimeNowNanos() - startCpu;
            wall = System.nanoTime() - startWall;
            cpu = Math.min(cpu, wall); // two clocks: never report more CPU than time passed
            off = wall - cpu;
        }
        // run_delay is the kernel's at switch-out and our estimate in between: never report a step back
        runDelayNanos = runDelay ? Math.max(0, stats.runDelayNanos() - startRunDelay) : 0;
        pcountDelta = pcount ? stats.pcount() - startPcount : 0;
        if (switches) {
            nvcswDelta = stats.nvcsw() - startNvcsw;
            nivcswDelta = stats.nivcsw() - startNivcsw;
        }
        valid = startOnHandleThread && onHandleThread();
        return this;
    }

    /**
     * off_cpu and the wall clock read with no context switch between them (the slot's sequence
     * counter moves at every switch of its thread), so that a switch cannot fall between the two
     * and be counted as CPU. Returns off_cpu; the wall clock is left in {@link #wallRead}.
     */
    private long offCpuAndWall() {
        MemorySegment slot = stats.slot();
        while (true) {
            int seq = SlotReader.seq(slot);
            long offCpu = SlotReader.getLong(slot, SlotLayout.OFF_CPU_NS);
            long now = System.nanoTime();
            if (SlotReader.validate(slot, seq)) {
                stats.checkLive();
                wallRead = now;
                return offCpu;
            }
        }
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
        if (!valid && onVirtual) { // issue 13
            throw new IllegalStateException("virtual-thread interval: " + virtual.invalidReason());
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
