package dev.taskshared.region;

/**
 * The ABI of each feature, declared once: its bit in word 0 of a feature mask (reader and
 * publisher each state a mask; what is used is the intersection, {@link Negotiation}) and the slot
 * field that carries it ({@link SlotLayout}). Bits are never reused or renumbered; a new feature
 * takes the next bit and a field appended to the slot. The public {@code dev.taskshared.Feature}
 * maps each of its constants to one of these.
 */
public enum SlotFeature {
    SUM_EXEC_RUNTIME(0, SlotLayout.SUM_EXEC_RUNTIME_NS, Long.BYTES),
    ON_CPU_SINCE(1, SlotLayout.ON_CPU_SINCE_NS, Long.BYTES),
    RUN_DELAY(2, SlotLayout.RUN_DELAY_NS, Long.BYTES),
    PCOUNT(3, SlotLayout.PCOUNT, Long.BYTES),
    OFF_CPU(4, SlotLayout.OFF_CPU_NS, Long.BYTES),
    CPU(5, SlotLayout.CPU, Integer.BYTES),
    NVCSW(6, SlotLayout.NVCSW, Long.BYTES),
    NIVCSW(7, SlotLayout.NIVCSW, Long.BYTES),
    MIGRATIONS(8, SlotLayout.MIGRATIONS, Long.BYTES),
    /** ABI 1.1. */
    UTIME(9, SlotLayout.UTIME_NS, Long.BYTES),
    /** ABI 1.1. */
    STIME(10, SlotLayout.STIME_NS, Long.BYTES);

    private static final long ALL_KNOWN = maskOf(values());

    private final int bit;
    private final long offset;
    private final int size;

    SlotFeature(int bit, long offset, int size) {
        this.bit = bit;
        this.offset = offset;
        this.size = size;
    }

    /** The feature's bit in word 0 of a feature mask. */
    public int bit() {
        return bit;
    }

    /** {@code 1L << bit()}. */
    public long mask() {
        return 1L << bit;
    }

    /** Offset in the slot of the field that carries the feature. */
    public long offset() {
        return offset;
    }

    /** First byte after that field: a writer whose struct is shorter does not have it. */
    public long end() {
        return offset + size;
    }

    /** The feature of {@code bit}, or null for a bit this version does not know. */
    public static SlotFeature ofBit(int bit) {
        for (SlotFeature f : values()) {
            if (f.bit == bit) {
                return f;
            }
        }
        return null;
    }

    /** Mask of the given features. */
    public static long maskOf(SlotFeature... features) {
        long m = 0;
        for (SlotFeature f : features) {
            m |= f.mask();
        }
        return m;
    }

    /** Mask of every feature this library version knows. */
    public static long allKnown() {
        return ALL_KNOWN;
    }
}
