package dev.taskshared;

import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotValues;
import java.lang.foreign.MemorySegment;

/**
 * A consistent copy of one thread's slot, owned by the caller and filled in place so that taking
 * a snapshot allocates nothing. Not thread-safe: one snapshot object per reading thread. Fields
 * the publisher does not provide read as 0; check {@link ThreadStats#supports(Feature)}.
 */
public final class StatsSnapshot {
    final SlotValues values = new SlotValues();

    /** Thread id (kernel tid) of the slot's owner. */
    public int tid() {
        return values.tid();
    }

    int generation() {
        return values.generation();
    }

    /** Nanoseconds on CPU, as of the last switch (BPF) or sample (sampling). */
    public long sumExecRuntimeNanos() {
        return values.sumExecRuntimeNanos();
    }

    /** CLOCK_MONOTONIC nanoseconds of the current switch-in while running; 0 while off CPU. */
    public long onCpuSinceNanos() {
        return values.onCpuSinceNanos();
    }

    /** Nanoseconds spent runnable but waiting for a CPU. */
    public long runDelayNanos() {
        return values.runDelayNanos();
    }

    /** Times scheduled in. */
    public long pcount() {
        return values.pcount();
    }

    /** Nanoseconds off CPU since registration, as of the last switch-in. */
    public long offCpuNanos() {
        return values.offCpuNanos();
    }

    /**
     * Off-CPU nanoseconds as of {@code nowNanos} (CLOCK_MONOTONIC, e.g. System.nanoTime()): the
     * published total, which moves at switch-in, plus, while the thread is off CPU, the time it
     * has been off since. For monitors looking at a thread that may be blocked for long (BPF
     * mode). Never more than the time since registration.
     */
    public long offCpuNanosAt(long nowNanos) {
        long off = values.offCpuNanos();
        if (values.onCpuSinceNanos() != 0 || values.offCpuOriginNanos() == 0) {
            return off;
        }
        long sinceRegistration = Math.max(0, nowNanos - values.registeredAtNanos());
        return Math.min(sinceRegistration, Math.max(off, nowNanos - values.sumExecRuntimeNanos() - values.offCpuOriginNanos()));
    }

    /** Voluntary switches since registration (the kernel's own count). */
    public long nvcsw() {
        return values.nvcsw();
    }

    /** Involuntary switches since registration (the kernel's own count). */
    public long nivcsw() {
        return values.nivcsw();
    }

    /** CPU changes since registration. */
    public long migrations() {
        return values.migrations();
    }

    /** User-mode CPU nanoseconds as the kernel keeps them ({@link Feature#UTIME}). */
    public long utimeNanos() {
        return values.utimeNanos();
    }

    /** Kernel-mode CPU nanoseconds as the kernel keeps them ({@link Feature#STIME}). */
    public long stimeNanos() {
        return values.stimeNanos();
    }

    /** CPU the thread runs or last ran on. */
    public int cpu() {
        return values.cpu();
    }

    /** CLOCK_MONOTONIC nanoseconds at registration. */
    public long registeredAtNanos() {
        return values.registeredAtNanos();
    }

    /** Whether the publisher saw the thread exit: the numbers are its final ones. */
    public boolean exited() {
        return values.state() == SlotLayout.STATE_EXITED;
    }

    /**
     * Fills this from a slot under its sequence counter. For monitors reading a region directly;
     * threads use {@link ThreadStats#snapshot}.
     *
     * @return this
     * @throws dev.taskshared.region.SlotUnreadableException when the slot's sequence never
     *     settles (a writer died mid-write, or the region is corrupted): bounded, never a hang
     */
    public StatsSnapshot readSlot(MemorySegment slot) {
        values.read(slot);
        return this;
    }

    @Override
    public String toString() {
        return "StatsSnapshot[tid=" + tid() + ", sum_exec_runtime_ns=" + sumExecRuntimeNanos() + ", on_cpu_since_ns=" + onCpuSinceNanos()
                + ", run_delay_ns=" + runDelayNanos() + ", pcount=" + pcount() + ", off_cpu_ns=" + offCpuNanos() + ", nvcsw=" + nvcsw()
                + ", nivcsw=" + nivcsw() + ", migrations=" + migrations() + ", utime_ns=" + utimeNanos() + ", stime_ns=" + stimeNanos()
                + ", cpu=" + cpu() + (exited() ? ", exited" : "") + "]";
    }
}
