package dev.taskshared.vthread;

import dev.taskshared.SlotAccess;
import dev.taskshared.ThreadStats;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import java.lang.foreign.MemorySegment;

/**
 * A carrier thread's registration, as seen by the mount hooks: its slot, and the numbers read from
 * it by the last {@link #sample()}. One per carrier OS thread, kept in that thread's thread-local,
 * and only ever used by code running on that OS thread (the mount hooks, and virtual threads
 * mounted on it reading their own numbers), so the sample fields need no synchronisation.
 */
final class Carrier {
    /** Retries of a torn read before giving up; a read is torn only when this carrier was switched mid-read. */
    private static final int MAX_TRIES = 1000;

    final ThreadStats stats;
    final int tid;
    private final MemorySegment slot;
    private final int generation;

    long wallNanos;
    long offCpuNanos;
    long runDelayNanos;
    long nvcsw;
    long nivcsw;
    long pcount;

    Carrier(ThreadStats stats) {
        this.stats = stats;
        this.tid = stats.tid();
        this.slot = SlotAccess.readOnlySlot(stats);
        this.generation = SlotReader.getInt(slot, SlotLayout.GENERATION);
    }

    /**
     * Reads off-CPU, run-queue and switch totals with the wall clock, with no switch of this
     * carrier between them, so that CPU = wall &minus; off-CPU exactly. Must run on this carrier
     * (then every total is current: the publisher writes them at the switches around any running
     * stretch). Loads only; returns false if the registration was released or the publisher
     * missed this carrier's last switch-in.
     */
    boolean sample() {
        for (int tries = 0; tries < MAX_TRIES; tries++) {
            int seq = SlotReader.seq(slot);
            long since = SlotReader.getLong(slot, SlotLayout.ON_CPU_SINCE_NS);
            long pc = SlotReader.getLong(slot, SlotLayout.PCOUNT);
            long off = SlotReader.getLong(slot, SlotLayout.OFF_CPU_NS);
            long run = SlotReader.getLong(slot, SlotLayout.RUN_DELAY_NS);
            long nv = SlotReader.getLong(slot, SlotLayout.NVCSW);
            long niv = SlotReader.getLong(slot, SlotLayout.NIVCSW);
            int gen = SlotReader.getInt(slot, SlotLayout.GENERATION);
            long now = System.nanoTime();
            if (SlotReader.validate(slot, seq)) {
                if (gen != generation || since == 0) {
                    // released, or the publisher missed this carrier's switch-in (the slot says
                    // off CPU while we run): its off-CPU total is not current
                    return false;
                }
                wallNanos = now;
                offCpuNanos = off;
                runDelayNanos = run;
                nvcsw = nv;
                nivcsw = niv;
                pcount = pc;
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /**
     * Whether the publisher saw every switch since {@code mountPcount} etc. were sampled: each
     * switch-out the kernel counted (voluntary + involuntary) has its switch-in.
     */
    boolean sawEverySwitchSince(long mountPcount, long mountNvcsw, long mountNivcsw) {
        return pcount - mountPcount == (nvcsw - mountNvcsw) + (nivcsw - mountNivcsw);
    }

    /** The slot, for readers on other threads (a full snapshot under the sequence counter). */
    MemorySegment slot() {
        return slot;
    }

    int generation() {
        return generation;
    }
}
