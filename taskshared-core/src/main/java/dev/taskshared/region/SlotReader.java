package dev.taskshared.region;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * Reads slots written by a {@link SlotWriter} or the BPF publisher. Pairs with the writer's
 * seqlock: {@code seq} is read with acquire order before and after the fields; an odd or changed
 * value means a write overlapped, and the read is retried. Fields are read with opaque order so
 * the JIT cannot hoist a polling read out of a loop (same cost as a plain load on x86-64).
 */
public final class SlotReader {
    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    private SlotReader() {
    }

    /** The sequence counter, acquire. Even when no write is in progress. */
    public static int seq(MemorySegment slot) {
        return (int) INT.getAcquire(slot, SlotLayout.SEQ);
    }

    /** One 64-bit field, opaque. */
    public static long getLong(MemorySegment slot, long offset) {
        return (long) LONG.getOpaque(slot, offset);
    }

    /** One 32-bit field, opaque. */
    public static int getInt(MemorySegment slot, long offset) {
        return (int) INT.getOpaque(slot, offset);
    }

    /** True when {@code seq} was read before the fields and nothing changed since. Call after reading fields. */
    public static boolean validate(MemorySegment slot, int seqBefore) {
        VarHandle.loadLoadFence();
        return (seqBefore & 1) == 0 && seq(slot) == seqBefore;
    }
}
