package dev.taskshared.region;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * A consistent copy of one slot, filled in place (no allocation) by {@link #read}: the one
 * seqlock read loop of the library, used by snapshots, exact CPU time now and intervals. The wall
 * clock is read inside the same read window, so that no context switch of the slot's thread can
 * fall between the numbers and {@link #readAtNanos()} unseen.
 *
 * <p>Not thread-safe: one instance per reading thread.
 */
public final class SlotValues {
    /** Bytes copied per read: the slot's struct, whole 8-byte words. */
    private static final int COPY_BYTES = (SlotLayout.STRUCT_SIZE + 7) & ~7;
    /** The copy of the slot's struct, in the slot's layout ({@link SlotLayout}). */
    private final MemorySegment struct = MemorySegment.ofArray(new long[COPY_BYTES / Long.BYTES]);
    private long readAtNanos;

    /**
     * Fills this from {@code slot} under its sequence counter, retrying a read that overlapped a
     * write ({@link SlotReader#backOff}: bounded).
     *
     * @return this
     * @throws SlotUnreadableException when the slot's sequence never settles
     */
    public SlotValues read(MemorySegment slot) {
        return read(slot, false);
    }

    /**
     * Like {@link #read(MemorySegment)}, and with {@code withClock} also reads the wall clock inside
     * the read window ({@link #readAtNanos()}; a longer window, so only for readers that need it).
     */
    public SlotValues read(MemorySegment slot, boolean withClock) {
        if (!copy(slot, withClock)) {
            retry(slot, withClock);
        }
        return this;
    }

    /**
     * The retries, out of line: whether a JVM's warm-up happened to see a read overlap a write
     * (a switch of the reading thread inside the read window, about one run in two) must not
     * change how the JIT compiles the first attempt. With the loop inline, it did: a snapshot
     * took 14 ns in some JVMs and 29 ns in others.
     */
    private void retry(MemorySegment slot, boolean withClock) {
        long yieldingSince = 0;
        for (int failed = 1; ; failed++) {
            yieldingSince = SlotReader.backOff(slot, failed, yieldingSince);
            if (copy(slot, withClock)) {
                return;
            }
        }
    }

    /**
     * Like {@link #read(MemorySegment, boolean)} with the clock, for code that must neither yield
     * nor block (the virtual-thread mount hooks, inside the JDK's mount transition): spins at most
     * {@code maxTries} times and says whether it got a consistent copy.
     */
    public boolean tryRead(MemorySegment slot, int maxTries) {
        for (int tries = 0; tries < maxTries; tries++) {
            if (copy(slot, true)) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /**
     * One attempt: the struct copied between an acquire of seq and its validation; false if a write
     * overlapped. One bulk copy, not a load per field: the method stays small enough for the JIT
     * to inline it into every reader in every JVM (a load per field made it 282 bytecodes, inlined
     * or not depending on what the JIT compiled first: a snapshot took 14 ns in some JVMs, 29 in others).
     */
    private boolean copy(MemorySegment slot, boolean withClock) {
        int seq = SlotReader.seq(slot);
        // Plain loads between the acquire of seq and the fence in validate: ordered by those two.
        MemorySegment.copy(slot, 0, struct, 0, COPY_BYTES);
        readAtNanos = withClock ? System.nanoTime() : 0;
        return SlotReader.validate(slot, seq);
    }

    public int tid() {
        return struct.get(JAVA_INT, SlotLayout.TID);
    }

    public int generation() {
        return struct.get(JAVA_INT, SlotLayout.GENERATION);
    }

    public long sumExecRuntimeNanos() {
        return struct.get(JAVA_LONG, SlotLayout.SUM_EXEC_RUNTIME_NS);
    }

    public long onCpuSinceNanos() {
        return struct.get(JAVA_LONG, SlotLayout.ON_CPU_SINCE_NS);
    }

    public long runDelayNanos() {
        return struct.get(JAVA_LONG, SlotLayout.RUN_DELAY_NS);
    }

    public long pcount() {
        return struct.get(JAVA_LONG, SlotLayout.PCOUNT);
    }

    public long offCpuNanos() {
        return struct.get(JAVA_LONG, SlotLayout.OFF_CPU_NS);
    }

    public long nvcsw() {
        return struct.get(JAVA_LONG, SlotLayout.NVCSW);
    }

    public long nivcsw() {
        return struct.get(JAVA_LONG, SlotLayout.NIVCSW);
    }

    public long migrations() {
        return struct.get(JAVA_LONG, SlotLayout.MIGRATIONS);
    }

    public int cpu() {
        return struct.get(JAVA_INT, SlotLayout.CPU);
    }

    public long offCpuOriginNanos() {
        return struct.get(JAVA_LONG, SlotLayout.OFF_CPU_ORIGIN_NS);
    }

    public long registeredAtNanos() {
        return struct.get(JAVA_LONG, SlotLayout.REGISTERED_AT_NS);
    }

    public long utimeNanos() {
        return struct.get(JAVA_LONG, SlotLayout.UTIME_NS);
    }

    public long stimeNanos() {
        return struct.get(JAVA_LONG, SlotLayout.STIME_NS);
    }

    /** {@link SlotLayout#STATE_LIVE} or {@link SlotLayout#STATE_EXITED}. */
    public int state() {
        return struct.get(JAVA_INT, SlotLayout.STATE);
    }

    /** CLOCK_MONOTONIC nanoseconds (System.nanoTime) read inside the read window; 0 unless read {@code withClock}. */
    public long readAtNanos() {
        return readAtNanos;
    }

    /**
     * CPU nanoseconds as of {@link #readAtNanos()}: the sum at the last switch plus the time since
     * the switch-in while the thread is on CPU (0 = off CPU, or a switch-in nobody saw).
     */
    public long cpuTimeAtReadNanos() {
        long onCpuSince = onCpuSinceNanos();
        return onCpuSince == 0 ? sumExecRuntimeNanos() : sumExecRuntimeNanos() + Math.max(0, readAtNanos - onCpuSince);
    }
}
