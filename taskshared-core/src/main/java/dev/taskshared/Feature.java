package dev.taskshared;

/**
 * A number a slot can carry. The bit of each feature is part of the ABI: reader and publisher
 * each state the features they support and use the intersection (the seed's negotiation).
 * Reading a feature the live publisher does not fill throws {@link UnsupportedFeatureException}
 * instead of returning a wrong number.
 */
public enum Feature {
    /** Nanoseconds on CPU, accumulated at switch-out (schedstat field 1). */
    SUM_EXEC_RUNTIME(0),
    /** Switch-in time while running, 0 while off CPU; gives exact CPU time now without a syscall. */
    ON_CPU_SINCE(1),
    /** Nanoseconds runnable but waiting on a run queue (schedstat field 2). */
    RUN_DELAY(2),
    /** Times scheduled in (schedstat field 3). */
    PCOUNT(3),
    /** Nanoseconds not running since registration, measured at context switch. */
    OFF_CPU(4),
    /** CPU the thread runs or last ran on. */
    CPU(5),
    /** Voluntary switches since registration. */
    NVCSW(6),
    /** Involuntary switches since registration. */
    NIVCSW(7),
    /** CPU changes since registration. */
    MIGRATIONS(8),
    /**
     * User-mode CPU nanoseconds, task_struct's {@code utime} as the kernel keeps it (tick-sampled on
     * most kernels; taskstats' {@code ac_utime}, not the scaled value of /proc/&lt;tid&gt;/stat).
     */
    UTIME(9),
    /** Kernel-mode CPU nanoseconds, task_struct's {@code stime} (like {@link #UTIME}). */
    STIME(10);

    private final int bit;

    Feature(int bit) {
        this.bit = bit;
    }

    /** The feature's bit in word 0 of a feature mask. */
    public int bit() {
        return bit;
    }

    /** {@code 1L << bit()}. */
    public long mask() {
        return 1L << bit;
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
        long m = 0;
        for (Feature f : values()) {
            m |= f.mask();
        }
        return m;
    }
}
