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
    private int tid;
    private int generation;
    private long sumExecRuntimeNanos;
    private long onCpuSinceNanos;
    private long runDelayNanos;
    private long pcount;
    private long offCpuNanos;
    private long nvcsw;
    private long nivcsw;
    private long migrations;
    private int cpu;
    private long offCpuOriginNanos;
    private long registeredAtNanos;
    private long utimeNanos;
    private long stimeNanos;
    private int state;
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
        long yieldingSince = 0;
        for (int failed = 0; !copy(slot, withClock); ) {
            yieldingSince = SlotReader.backOff(slot, ++failed, yieldingSince);
        }
        return this;
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

    /** One attempt: the fields between an acquire of seq and its validation; false if a write overlapped. */
    private boolean copy(MemorySegment slot, boolean withClock) {
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
        offCpuOriginNanos = slot.get(JAVA_LONG, SlotLayout.OFF_CPU_ORIGIN_NS);
        registeredAtNanos = slot.get(JAVA_LONG, SlotLayout.REGISTERED_AT_NS);
        utimeNanos = slot.get(JAVA_LONG, SlotLayout.UTIME_NS);
        stimeNanos = slot.get(JAVA_LONG, SlotLayout.STIME_NS);
        state = slot.get(JAVA_INT, SlotLayout.STATE);
        readAtNanos = withClock ? System.nanoTime() : 0;
        return SlotReader.validate(slot, seq);
    }

    public int tid() {
        return tid;
    }

    public int generation() {
        return generation;
    }

    public long sumExecRuntimeNanos() {
        return sumExecRuntimeNanos;
    }

    public long onCpuSinceNanos() {
        return onCpuSinceNanos;
    }

    public long runDelayNanos() {
        return runDelayNanos;
    }

    public long pcount() {
        return pcount;
    }

    public long offCpuNanos() {
        return offCpuNanos;
    }

    public long nvcsw() {
        return nvcsw;
    }

    public long nivcsw() {
        return nivcsw;
    }

    public long migrations() {
        return migrations;
    }

    public int cpu() {
        return cpu;
    }

    public long offCpuOriginNanos() {
        return offCpuOriginNanos;
    }

    public long registeredAtNanos() {
        return registeredAtNanos;
    }

    public long utimeNanos() {
        return utimeNanos;
    }

    public long stimeNanos() {
        return stimeNanos;
    }

    /** {@link SlotLayout#STATE_LIVE} or {@link SlotLayout#STATE_EXITED}. */
    public int state() {
        return state;
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
        return onCpuSinceNanos == 0 ? sumExecRuntimeNanos : sumExecRuntimeNanos + Math.max(0, readAtNanos - onCpuSinceNanos);
    }
}
