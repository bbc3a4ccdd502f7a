package dev.taskshared;

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

    /** Copies every field of {@code other} into this. */
    public StatsSnapshot copyFrom(StatsSnapshot other) {
        tid = other.tid;
        generation = other.generation;
        sumExecRuntimeNanos = other.sumExecRuntimeNanos;
        onCpuSinceNanos = other.onCpuSinceNanos;
        runDelayNanos = other.runDelayNanos;
        pcount = other.pcount;
        offCpuNanos = other.offCpuNanos;
        nvcsw = other.nvcsw;
        nivcsw = other.nivcsw;
        migrations = other.migrations;
        cpu = other.cpu;
        registeredAtNanos = other.registeredAtNanos;
        return this;
    }

    @Override
    public String toString() {
        return "StatsSnapshot[tid=" + tid + ", sum_exec_runtime_ns=" + sumExecRuntimeNanos + ", on_cpu_since_ns=" + onCpuSinceNanos
                + ", run_delay_ns=" + runDelayNanos + ", pcount=" + pcount + ", off_cpu_ns=" + offCpuNanos + ", nvcsw=" + nvcsw
                + ", nivcsw=" + nivcsw + ", migrations=" + migrations + ", cpu=" + cpu + "]";
    }
}
