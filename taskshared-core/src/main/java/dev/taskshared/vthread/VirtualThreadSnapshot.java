package dev.taskshared.vthread;

import dev.taskshared.StatsSnapshot;

/**
 * A consistent copy of one virtual thread's totals as of {@link #atNanos()}, filled in place by
 * {@link VirtualThreadStats#snapshot}. Owned by the caller; not thread-safe (one per reading
 * thread). All times are nanoseconds; timestamps are CLOCK_MONOTONIC ({@link System#nanoTime()}).
 *
 * <p>Invariants: {@code cpuNanos + offCpuNanos == mountedNanos}; {@code runDelayNanos <= offCpuNanos};
 * {@code mountedNanos + unmountedNanos == spanEndNanos - firstMountNanos}.
 */
public final class VirtualThreadSnapshot {
    private long cpuNanos;
    private long offCpuNanos;
    private long runDelayNanos;
    private long mountedNanos;
    private long carrierVoluntarySwitches;
    private long carrierInvoluntarySwitches;
    private long mounts;
    private long unmeasuredMounts;
    private long firstMountNanos;
    private long lastUnmountNanos;
    private long atNanos;
    private boolean mounted;
    private int carrierTid;
    private StatsSnapshot carrierScratch;

    void setTotals(long cpu, long off, long run, long mounted, long nv, long niv, long mounts, long unmeasured, long first, long last) {
        this.cpuNanos = cpu;
        this.offCpuNanos = off;
        this.runDelayNanos = run;
        this.mountedNanos = mounted;
        this.carrierVoluntarySwitches = nv;
        this.carrierInvoluntarySwitches = niv;
        this.mounts = mounts;
        this.unmeasuredMounts = unmeasured;
        this.firstMountNanos = first;
        this.lastUnmountNanos = last;
    }

    void addMounted(int tid, long now, long wall, long off, long run, long nv, long niv) {
        cpuNanos += wall - off;
        offCpuNanos += off;
        runDelayNanos += run;
        mountedNanos += wall;
        carrierVoluntarySwitches += nv;
        carrierInvoluntarySwitches += niv;
        carrierTid = tid;
        atNanos = now;
        mounted = true;
    }

    void notMounted(long now, int tid) {
        mounted = false;
        carrierTid = tid;
        atNanos = now;
    }

    StatsSnapshot carrierScratch() {
        if (carrierScratch == null) {
            carrierScratch = new StatsSnapshot();
        }
        return carrierScratch;
    }

    /** Time its carriers ran on a CPU while this virtual thread was mounted. */
    public long cpuNanos() {
        return cpuNanos;
    }

    /** Time its carriers were off CPU (blocked, or waiting to run) while it was mounted. */
    public long offCpuNanos() {
        return offCpuNanos;
    }

    /** The part of {@link #offCpuNanos()} its carriers spent runnable on a run queue. */
    public long runDelayNanos() {
        return runDelayNanos;
    }

    /** Time mounted on a carrier (measured mounts only): CPU + off-CPU. */
    public long mountedNanos() {
        return mountedNanos;
    }

    /**
     * Time not mounted between the first mount and {@link #spanEndNanos()}: parked, blocked on a
     * monitor, sleeping, or runnable and waiting for a carrier (the scheduler's queue, not the
     * kernel's). An unmount in progress counts once the thread mounts again.
     */
    public long unmountedNanos() {
        return firstMountNanos == 0 ? 0 : Math.max(0, spanEndNanos() - firstMountNanos - mountedNanos);
    }

    /**
     * The end of the time the totals cover: {@link #atNanos()} while mounted, else the last
     * unmount (so a finished thread's span ends at its final unmount).
     * {@code cpu + offCpu + unmounted == spanEnd - firstMount}.
     */
    public long spanEndNanos() {
        return mounted ? atNanos : lastUnmountNanos;
    }

    /** Whether it was mounted (and the mount measured) at {@link #atNanos()}. */
    public boolean mounted() {
        return mounted;
    }

    /** Voluntary context switches of its carriers while it was mounted (blocking while pinned, in a system call). */
    public long carrierVoluntarySwitches() {
        return carrierVoluntarySwitches;
    }

    /** Involuntary context switches (preemptions) of its carriers while it was mounted. */
    public long carrierInvoluntarySwitches() {
        return carrierInvoluntarySwitches;
    }

    /** Times mounted, including the mount in progress. */
    public long mounts() {
        return mounts;
    }

    /**
     * Mounts that could not be measured, and are not in the totals: the carrier's registration
     * was released mid-mount, or the publisher missed a switch of the carrier during the mount
     * (its switch-in count disagrees with the kernel's switch counts, or the slot said off CPU
     * while the carrier ran). Otherwise the totals are lower bounds.
     */
    public long unmeasuredMounts() {
        return unmeasuredMounts;
    }

    /** CLOCK_MONOTONIC nanoseconds of the first measured mount; 0 if none yet. */
    public long firstMountNanos() {
        return firstMountNanos;
    }

    /** CLOCK_MONOTONIC nanoseconds the snapshot describes. */
    public long atNanos() {
        return atNanos;
    }

    /** The kernel tid of the carrier it is mounted on, or -1 when not mounted (or the mount is not measured). */
    public int carrierTid() {
        return carrierTid;
    }

    @Override
    public String toString() {
        return "VirtualThreadSnapshot[cpu_ns=" + cpuNanos + ", off_cpu_ns=" + offCpuNanos + ", run_delay_ns=" + runDelayNanos
                + ", mounted_ns=" + mountedNanos + ", unmounted_ns=" + unmountedNanos() + ", mounts=" + mounts
                + ", carrier_nvcsw=" + carrierVoluntarySwitches + ", carrier_nivcsw=" + carrierInvoluntarySwitches
                + ", unmeasured_mounts=" + unmeasuredMounts + ", carrier_tid=" + carrierTid + "]";
    }
}
