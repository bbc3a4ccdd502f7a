package dev.taskshared;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import java.lang.foreign.MemorySegment;

/**
 * A consistent copy of one thread's slot, owned by the caller and filled in place so that taking
 * a snapshot allocates nothing. Not thread-safe: one snapshot object per reading thread. Fields
 * the publisher does not provide read as 0; check {@link ThreadStats#supports(Feature)}.
 */
public final class StatsSnapshot {
    int tid;
    int generation;
    long sumExecRuntimeNanos;
    long onCpuSinceNanos;
    long runDelayNanos;
    long pcount;
    long offCpuNanos;
    long nvcsw;
    long nivcsw;
    long migrations;
    int cpu;
    long registeredAtNanos;
    long offCpuOriginNanos;

    /** Thread id (kernel tid) of the slot's owner. */
    public int tid() {
        return tid;
    }

    /** Nanoseconds on CPU, as of the last switch-out (BPF) or sample (sampling). */
    public long sumExecRuntimeNanos() {
        return sumExecRuntimeNanos;
    }

    /** CLOCK_MONOTONIC nanoseconds of the current switch-in while running; 0 while off CPU. */
    public long onCpuSinceNanos() {
        return onCpuSinceNanos;
    }

    /** Nanoseconds spent runnable but waiting for a CPU. */
    public long runDelayNanos() {
        return runDelayNanos;
    }

    /** Times scheduled in. */
    public long pcount() {
        return pcount;
    }

    /** Nanoseconds off CPU since registration. */
    public long offCpuNanos() {
        return offCpuNanos;
    }

    /**
     * Off-CPU nanoseconds as of {@code nowNanos} (CLOCK_MONOTONIC, e.g. System.nanoTime()): the
     * published total, which moves at switch-in, plus, while the thread is off CPU, the time it
     * has been off since. For monitors looking at a thread that may be blocked for long (BPF mode).
     */
    public long offCpuNanosAt(long nowNanos) {
        if (onCpuSinceNanos != 0 || offCpuOriginNanos == 0) {
            return offCpuNanos;
        }
        return Math.max(offCpuNanos, nowNanos - sumExecRuntimeNanos - offCpuOriginNanos);
    }

    /** Voluntary switches since registration. */
    public long nvcsw() {
        return nvcsw;
    }

    /** Involuntary switches since registration. */
    public long nivcsw() {
        return nivcsw;
    }

    /** CPU changes since registration. */
    public long migrations() {
        return migrations;
    }

    /** CPU the thread runs or last ran on. */
    public int cpu() {
        return cpu;
    }

    /** CLOCK_MONOTONIC nanoseconds at registration. */
    public long registeredAtNanos() {
        return registeredAtNanos;
    }

    /**
     * Fills this from a slot under its seqlock: spins while a write is in progress (writes take
     * nanoseconds), yielding after many tries in case the writer was preempted mid-write. For
     * monitors reading a region directly; threads use {@link ThreadStats#snapshot}.
     *
     * @return this
     */
    public StatsSnapshot readSlot(MemorySegment slot) {
        int spins = 0;
        while (true) {
            int seq = SlotReader.seq(slot);
            // Plain loads between the acquire of seq and the fence in validate: ordered by those
            // two, and free for the JIT to combine (no per-load ordering needed).
            tid = slot.get(JAVA_INT, SlotLayout.TID);
            generation = slot.get(JAVA_INT, SlotLayout.GENERATION);
            sumExecRuntimeNanos = slot.get(JAVA_LONG, SlotLayout.SUM_EXEC_RUNTIME_NS);
            onCpuSinceNanos = slot.get(JAVA_LONG, SlotLayout.ON_CPU_SINCE_NS);
            runDelayNanos = slot.get(JAVA_LONG, SlotLayout.RUN_DELAY_NS);
            pcount = slot.get(JAVA_LONG, SlotLayout.PCOUNT);
            offCpuNanos = slot.get(JAVA_LONG, SlotLayout.OFF_CPU_NS);
            nvcsw = slot.get(JAVA_LONG, SlotLayout.NVCSW);
            nivcsw = slot.get(JAVA_LONG, SlotLayout.NIVCSW);
            migrations = slot.get(JAVA_LONG, SlotLayout.MIGRATIONS);
            cpu = slot.get(JAVA_INT, SlotLayout.CPU);
            registeredAtNanos = slot.get(JAVA_LONG, SlotLayout.REGISTERED_AT_NS);
            offCpuOriginNanos = slot.get(JAVA_LONG, SlotLayout.OFF_CPU_ORIGIN_NS);
            if (SlotReader.validate(slot, seq)) {
                return this;
            }
            if (++spins > 1000) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public String toString() {
        return "StatsSnapshot[tid=" + tid + ", sum_exec_runtime_ns=" + sumExecRuntimeNanos + ", on_cpu_since_ns=" + onCpuSinceNanos
                + ", run_delay_ns=" + runDelayNanos + ", pcount=" + pcount + ", off_cpu_ns=" + offCpuNanos + ", nvcsw=" + nvcsw
                + ", nivcsw=" + nivcsw + ", migrations=" + migrations + ", cpu=" + cpu + "]";
    }
}
