package dev.taskshared.vthread;

import dev.taskshared.SlotAccess;
import dev.taskshared.ThreadStats;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.region.SlotValues;
import dev.taskshared.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A carrier thread's registration, as seen by the mount hooks: its slot, the numbers read from it
 * by the last {@link #sample()}, and the last point at which its CPU time is known exactly. One per
 * carrier OS thread, kept in that thread's thread-local, and only ever used by code running on that
 * OS thread (the mount hooks, and virtual threads mounted on it reading their own numbers), so the
 * fields need no synchronisation.
 *
 * <h2>Why the CPU clock and not only the slot</h2>
 * While a thread runs, its slot gives the kernel's CPU time at its last switch-in and the time of
 * that switch-in; "CPU now = that + wall time since" counts as CPU the time the hypervisor stole
 * from the virtual CPU meanwhile (and interrupt time, on kernels that account it apart), which the
 * kernel's task clock (sum_exec_runtime, CLOCK_THREAD_CPUTIME_ID) leaves out. On a VM with steal
 * time (this project's CI: 1 to 5 %) a long mount then reads more CPU than the kernel charged.
 * Nor is the switch-in an exact starting point: the kernel starts charging a task from the run
 * queue's clock as of its last update before the pick, which can be microseconds (tens, seen
 * here) before the sched_switch tracepoint's timestamp. No load tells either, so a mount's end is
 * read from the kernel's clock ({@link #markExact()}, one system call), and its start is bounded
 * from above by {@link #cpuUpperBoundNanos()}: the last exact reading plus all wall time since,
 * valid while the carrier has not been switched out since that reading (else the mount reads
 * the clock too). The mount's CPU is then never above the kernel's, and below it only by what
 * was stolen in the JDK's few microseconds between that reading and the mount.
 */
final class Carrier {
    /** Retries of a torn read before giving up; a read is torn only when this carrier was switched mid-read. */
    private static final int MAX_TRIES = 1000;

    final ThreadStats stats;
    final int tid;
    private final MemorySegment slot;
    private final int generation;
    /** struct timespec for the carrier's own clock_gettime: no thread-local on the hooks' path. */
    private final MemorySegment timespec = Arena.ofAuto().allocate(16, 8);
    /** The slot copy of {@link #sample()}, through the library's one read loop. */
    private final SlotValues values = new SlotValues();

    // The last sample(): the slot as of wallNanos.
    long wallNanos;
    long runDelayNanos;
    long nvcsw;
    long nivcsw;
    long pcount;

    // The latest point at which this carrier's CPU time was read from the kernel's clock: the CPU
    // time then was exactCpuNanos, and the wall clock, read before, exactWallNanos; the carrier's
    // switch-in count before it was exactPcount (-1: none yet).
    private long exactWallNanos;
    private long exactCpuNanos;
    private long exactPcount = -1;

    Carrier(ThreadStats stats) {
        this.stats = stats;
        this.tid = stats.tid();
        this.slot = SlotAccess.readOnlySlot(stats);
        this.generation = SlotReader.getInt(slot, SlotLayout.GENERATION);
    }

    /**
     * Reads run-queue and switch totals with the wall clock, with no switch of this carrier between them. Must run on this carrier (then every total
     * is current: the publisher writes them at the switches around any running stretch). Loads only;
     * returns false if the registration was released or the publisher missed this carrier's last
     * switch-in (the slot says off CPU while it runs).
     */
    boolean sample() {
        return sampleOrWhy() < 0;
    }

    /** Why the last {@link #sample()} failed (a MountAccounting reason), or -1 when it succeeded. */
    int sampleOrWhy() {
        // Spins only, bounded: this runs inside the JDK's mount transition, where yielding is not allowed.
        if (!values.tryRead(slot, MAX_TRIES)) {
            return MountAccounting.TORN;
        }
        if (values.generation() != generation) {
            return MountAccounting.RELEASED;
        }
        if (values.onCpuSinceNanos() == 0) {
            return MountAccounting.SWITCH_IN_MISSED; // the slot says off CPU while this thread runs
        }
        wallNanos = values.readAtNanos();
        runDelayNanos = values.runDelayNanos();
        nvcsw = values.nvcsw();
        nivcsw = values.nivcsw();
        pcount = values.pcount();
        return -1;
    }

    /**
     * An upper bound of this carrier's CPU time at the last successful {@link #sample()}: the last
     * exact reading plus all wall time since (a thread runs at most as long as time passes), if
     * the carrier was not switched out since; otherwise it reads the kernel's clock now (one system
     * call). Exact but for what was stolen since the reading.
     */
    long cpuUpperBoundNanos() {
        if (exactPcount != pcount) {
            return markExact(); // switched since (or never read): the slot's switch-in is no exact point
        }
        return exactCpuNanos + (wallNanos - exactWallNanos);
    }

    /**
     * Reads this carrier's CPU time from the kernel's clock (one system call; must run on this
     * carrier) and keeps it as the latest exact point, with the wall time and switch-in count of
     * the last {@link #sample()}, which were read before it (so that the bound above holds). A
     * caller wanting wall time not shorter than the CPU time since reads the wall clock after this.
     */
    long markExact() {
        long cpu = Libc.clockGettimeNanos(Libc.CLOCK_THREAD_CPUTIME_ID, timespec);
        exactWallNanos = wallNanos;
        exactCpuNanos = cpu;
        exactPcount = pcount;
        return cpu;
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
