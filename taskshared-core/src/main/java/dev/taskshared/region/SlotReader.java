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
 *
 * <p>Retries are bounded ({@link #backOff}): a BPF write takes nanoseconds and cannot be
 * preempted, a Java writer may be preempted mid-write for a time slice; a sequence that stays odd
 * or keeps moving for longer than {@link #GIVE_UP_NANOS} of yielding means a writer died
 * mid-write or the region is corrupted, and the read fails with {@link SlotUnreadableException}
 * instead of spinning.
 */
public final class SlotReader {
    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    /** Retries that spin (onSpinWait) before the reader starts yielding and watching the clock. */
    private static final int SPINS = 1000;
    /** How long a reader keeps retrying one read before it reports the slot unreadable. */
    public static final long GIVE_UP_NANOS = 500_000_000;

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

    /**
     * Waits before retry number {@code failedAttempts} (1 after the first failed validation) of a
     * read: spins first, then yields, and throws once the retries have lasted {@link #GIVE_UP_NANOS}.
     * The one back-off policy of every seqlock reader.
     *
     * @param yieldingSinceNanos what the previous call returned (0 at first)
     * @return the time the reader started yielding, to pass to the next call
     * @throws SlotUnreadableException when the slot's sequence never settled
     */
    public static long backOff(MemorySegment slot, int failedAttempts, long yieldingSinceNanos) {
        if (failedAttempts <= SPINS) {
            Thread.onSpinWait();
            return 0;
        }
        long now = System.nanoTime();
        if (yieldingSinceNanos == 0) {
            yieldingSinceNanos = now;
        } else if (now - yieldingSinceNanos > GIVE_UP_NANOS) {
            throw new SlotUnreadableException(getInt(slot, SlotLayout.TID), seq(slot), GIVE_UP_NANOS);
        }
        Thread.yield();
        return yieldingSinceNanos;
    }
}
