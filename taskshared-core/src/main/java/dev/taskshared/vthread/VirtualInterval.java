package dev.taskshared.vthread;

import dev.taskshared.vthread.spi.VirtualThreadMeasures;

/**
 * The virtual-thread side of {@link dev.taskshared.Interval}: when the calling thread is virtual
 * and the agent is active, an interval measures the virtual thread itself (across remounts on any
 * carrier) instead of one carrier. Not API; reusable, allocation-free after construction, used
 * by one thread at a time like its Interval.
 */
final class VirtualInterval implements VirtualThreadMeasures.Measurement {
    private final VirtualThreadSnapshot start = new VirtualThreadSnapshot();
    private final VirtualThreadSnapshot end = new VirtualThreadSnapshot();
    private VirtualThreadStats stats;
    private String invalidReason;

    /** Whether an interval started now on the calling thread should be measured here. */
    static boolean applies() {
        return MountAccounting.isActive() && Thread.currentThread().isVirtual() && MountAccounting.currentStats() != null;
    }

    /** Starts on the calling virtual thread; call only when {@link #applies()}. */
    @Override
    public void start() {
        stats = MountAccounting.currentStats();
        stats.snapshot(start);
    }

    /** Stops; the getters then describe start..stop. */
    @Override
    public void stop() {
        invalidReason = null;
        if (MountAccounting.currentStats() != stats) {
            invalidReason = "the interval was started on another thread";
            return;
        }
        try {
            stats.snapshot(end);
        } catch (IllegalStateException e) {
            invalidReason = e.getMessage();
            return;
        }
        if (end.unmeasuredMounts() != start.unmeasuredMounts() || end.carrierTid() < 0 || start.carrierTid() < 0) {
            invalidReason = "a mount during the interval could not be measured (the publisher missed a switch of its carrier,"
                    + " or the carrier's registration was released)";
        }
    }

    /** Null when valid, else why the numbers would be wrong. */
    @Override
    public String invalidReason() {
        return invalidReason;
    }

    @Override
    public long wallNanos() {
        return end.atNanos() - start.atNanos();
    }

    @Override
    public long cpuNanos() {
        return Math.min(wallNanos(), end.cpuNanos() - start.cpuNanos());
    }

    /** Wall minus CPU: carrier off CPU while mounted, plus time not mounted. */
    @Override
    public long offCpuNanos() {
        return wallNanos() - cpuNanos();
    }

    @Override
    public long runDelayNanos() {
        return end.runDelayNanos() - start.runDelayNanos();
    }

    /** Unmounts (parks, yields, blocking) and carrier blocking while mounted. */
    @Override
    public long voluntarySwitches() {
        return (end.mounts() - start.mounts()) + (end.carrierVoluntarySwitches() - start.carrierVoluntarySwitches());
    }

    /** Carrier preemptions while mounted. */
    @Override
    public long involuntarySwitches() {
        return end.carrierInvoluntarySwitches() - start.carrierInvoluntarySwitches();
    }
}
