package dev.taskshared;

import dev.taskshared.region.SlotFeature;

/**
 * A number a slot can carry. The bit of each feature is part of the ABI, declared in
 * {@code region.SlotFeature} (with the slot field that carries it): reader and publisher each state
 * the features they support and use the intersection (the seed's negotiation).
 * Reading a feature the live publisher does not fill throws {@link UnsupportedFeatureException}
 * instead of returning a wrong number.
 */
public enum Feature {
    /** Nanoseconds on CPU, accumulated at switch-out (schedstat field 1). */
    SUM_EXEC_RUNTIME(SlotFeature.SUM_EXEC_RUNTIME),
    /** Switch-in time while running, 0 while off CPU; gives exact CPU time now without a syscall. */
    ON_CPU_SINCE(SlotFeature.ON_CPU_SINCE),
    /** Nanoseconds runnable but waiting on a run queue (schedstat field 2). */
    RUN_DELAY(SlotFeature.RUN_DELAY),
    /** Times scheduled in (schedstat field 3). */
    PCOUNT(SlotFeature.PCOUNT),
    /** Nanoseconds not running since registration, measured at context switch. */
    OFF_CPU(SlotFeature.OFF_CPU),
    /** CPU the thread runs or last ran on. */
    CPU(SlotFeature.CPU),
    /** Voluntary switches since registration. */
    NVCSW(SlotFeature.NVCSW),
    /** Involuntary switches since registration. */
    NIVCSW(SlotFeature.NIVCSW),
    /** CPU changes since registration. */
    MIGRATIONS(SlotFeature.MIGRATIONS),
    /**
     * User-mode CPU nanoseconds, task_struct's {@code utime} as the kernel keeps it (tick-sampled on
     * most kernels; taskstats' {@code ac_utime}, not the scaled value of /proc/&lt;tid&gt;/stat).
     */
    UTIME(SlotFeature.UTIME),
    /** Kernel-mode CPU nanoseconds, task_struct's {@code stime} (like {@link #UTIME}). */
    STIME(SlotFeature.STIME);

    private final SlotFeature abi;

    Feature(SlotFeature abi) {
        this.abi = abi;
    }

    /** The feature's bit in word 0 of a feature mask. */
    public int bit() {
        return abi.bit();
    }

    /** {@code 1L << bit()}. */
    public long mask() {
        return abi.mask();
    }

    /** Mask of the given features. */
    public static long maskOf(Feature... features) {
        long m = 0;
        for (Feature f : features) {
            m |= f.mask();
        }
        return m;
    }

    /** Mask of every feature this library version knows. */
    public static long allKnown() {
        return SlotFeature.allKnown();
    }
}
