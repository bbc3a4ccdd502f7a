package dev.taskshared.region;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * Writes a slot under its seqlock, for publishers in Java (the BPF publisher writes the same way
 * in the kernel). One writer per slot at a time: {@link #begin} makes {@code seq} odd, the fields
 * are stored, {@link #end} makes it even with release order. Pairs with {@link SlotReader}.
 */
public final class SlotWriter {
    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    private SlotWriter() {
    }

    /** Opens a write: seq becomes odd before any field store is visible. Returns the odd value. */
    public static int begin(MemorySegment slot) {
        int seq = (int) INT.getOpaque(slot, SlotLayout.SEQ) | 1;
        INT.setOpaque(slot, SlotLayout.SEQ, seq);
        VarHandle.storeStoreFence();
        return seq;
    }

    /** Stores one 64-bit field inside a write. */
    public static void putLong(MemorySegment slot, long offset, long value) {
        LONG.setOpaque(slot, offset, value);
    }

    /** Stores one 32-bit field inside a write. */
    public static void putInt(MemorySegment slot, long offset, int value) {
        INT.setOpaque(slot, offset, value);
    }

    /** Closes a write opened with {@code begin} (which returned {@code oddSeq}). */
    public static void end(MemorySegment slot, int oddSeq) {
        INT.setRelease(slot, SlotLayout.SEQ, oddSeq + 1);
    }

    /**
     * Claims a free slot for {@code tid}: zeroes the numbers, bumps the generation, stamps the
     * registration time; the tid is stored last so that a scanner sees a complete slot.
     */
    public static void claim(MemorySegment slot, int tid, long registeredAtNanos) {
        int seq = begin(slot);
        for (long off = SlotLayout.SUM_EXEC_RUNTIME_NS; off < SlotLayout.CPU; off += 8) {
            putLong(slot, off, 0);
        }
        putInt(slot, SlotLayout.CPU, -1);
        putInt(slot, SlotLayout.GENERATION, (int) INT.getOpaque(slot, SlotLayout.GENERATION) + 1);
        putLong(slot, SlotLayout.OFF_CPU_ORIGIN_NS, 0);
        putLong(slot, SlotLayout.RUNNABLE_SINCE_NS, 0);
        putLong(slot, SlotLayout.REGISTERED_AT_NS, registeredAtNanos);
        putLong(slot, SlotLayout.UTIME_NS, 0);
        putLong(slot, SlotLayout.STIME_NS, 0);
        putInt(slot, SlotLayout.STATE, SlotLayout.STATE_LIVE); // a reused slot must not look exited
        end(slot, seq);
        INT.setRelease(slot, SlotLayout.TID, tid);
    }

    /** Frees a slot: tid 0 marks it free for scanners; the generation bump tells stale handles. */
    public static void free(MemorySegment slot) {
        INT.setRelease(slot, SlotLayout.TID, 0);
        int seq = begin(slot);
        putInt(slot, SlotLayout.GENERATION, (int) INT.getOpaque(slot, SlotLayout.GENERATION) + 1);
        end(slot, seq);
    }
}
