package dev.taskshared.vthread;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.sys.Libc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One virtual thread's totals, accumulated by the taskshared agent at every mount and unmount from
 * its carrier's slot: CPU, off-CPU and run-queue time of the carrier while this virtual thread was
 * mounted on it, and the carrier's switches in that time. Obtain it with
 * {@link VirtualThreads#current()} or {@link VirtualThreads#of(Thread)}.
 *
 * <p>Meaning, for a virtual thread: <em>CPU</em> is time its carrier ran on a CPU while it was
 * mounted; <em>off-CPU</em> is time its carrier did not run while it was mounted (blocked in a
 * system call or while pinned, or preempted), of which <em>run-queue</em> time is the part spent
 * runnable on a run queue. CPU + off-CPU = time mounted, exactly. Time not mounted (parked, or
 * waiting for a carrier) is {@link VirtualThreadSnapshot#unmountedNanos()}.
 *
 * <p>Thread-safety: written only by the mount/unmount hooks of its own virtual thread (one at a
 * time: a virtual thread is mounted on one carrier at a time), read by any thread through
 * {@link #snapshot}, which is consistent across fields (a sequence counter, like a slot's).
 * Allocation-free.
 */
public final class VirtualThreadStats {
    private static final VarHandle SEQ;

    static {
        try {
            SEQ = MethodHandles.lookup().findVarHandle(VirtualThreadStats.class, "seq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long threadId;
    @SuppressWarnings("unused") // through SEQ
    private int seq;

    // Totals of completed mounts.
    private long cpuNanos;
    private long offCpuNanos;
    private long runDelayNanos;
    private long mountedNanos;
    private long carrierNvcsw;
    private long carrierNivcsw;
    private long mounts;
    private long unmeasuredMounts;
    private long firstMountNanos;
    private long lastUnmountNanos;

    // The mount in progress: carrier is null while unmounted, or when this mount could not be read.
    private Carrier carrier;
    private long mountWallNanos;
    /** An upper bound of the carrier's CPU time at the mount (Carrier#cpuUpperBoundNanos): CPU since is a lower bound. */
    private long mountCpuNanos;
    private long mountRunDelayNanos;
    private long mountNvcsw;
    private long mountNivcsw;
    private long mountPcount;

    /** Publication to {@link VirtualThreads#of(Thread)}: see {@link Published}. */
    Thread pendingThread;
    VirtualThreadStats pendingNext;

    VirtualThreadStats(long threadId) {
        this.threadId = threadId;
    }

    /** The virtual thread's {@link Thread#threadId()}. */
    public long threadId() {
        return threadId;
    }

    // ---- writer: the mount hooks, on the carrier, while Thread.currentThread() is this virtual thread

    /** Just mounted on {@code c}: record the carrier's totals (loads only). */
    void mounted(Carrier c) {
        int why = c.sampleOrWhy();
        beginWrite();
        mounts++;
        if (why < 0) {
            if (firstMountNanos == 0) {
                firstMountNanos = c.wallNanos;
            }
            carrier = c;
            mountWallNanos = c.wallNanos;
            mountCpuNanos = c.cpuUpperBoundNanos();
            mountRunDelayNanos = c.runDelayNanos;
            mountNvcsw = c.nvcsw;
            mountNivcsw = c.nivcsw;
            mountPcount = c.pcount;
        } else {
            carrier = null;
            unmeasuredMounts++;
        }
        endWrite();
        if (why >= 0) {
            MountAccounting.unmeasured(why);
        }
    }

    /**
     * About to unmount: add the carrier's time since {@link #mounted}. CPU from the kernel's clock
     * (one system call), run-queue time and switches from the slot (loads).
     */
    void unmounting() {
        Carrier c = carrier;
        if (c == null) {
            return; // this mount was not measured (counted in unmeasuredMounts)
        }
        int why = c.sampleOrWhy();
        long cpuNow = c.markExact();
        long end = System.nanoTime(); // after the CPU clock: the mount's CPU fits in its wall time
        if (why < 0 && !c.sawEverySwitchSince(mountPcount, mountNvcsw, mountNivcsw)) {
            why = MountAccounting.MISSED_SWITCH;
        }
        long wall = end - mountWallNanos;
        long cpu = cpuWithin(cpuNow - mountCpuNanos, wall);
        beginWrite();
        if (why < 0) {
            long off = wall - cpu;
            mountedNanos += wall;
            cpuNanos += cpu;
            offCpuNanos += off;
            runDelayNanos += runDelayWithin(c.runDelayNanos - mountRunDelayNanos, off);
            carrierNvcsw += c.nvcsw - mountNvcsw;
            carrierNivcsw += c.nivcsw - mountNivcsw;
            lastUnmountNanos = end;
        } else {
            unmeasuredMounts++;
        }
        carrier = null;
        endWrite();
        if (why >= 0) {
            MountAccounting.unmeasured(why);
        }
    }

    /**
     * The CPU time of a mount so far: the carrier's CPU clock now minus the upper bound taken at the
     * mount, which is a lower bound of the kernel's figure (short by what the hypervisor stole in
     * the JDK's few microseconds before the mount, and so possibly below zero for a mount of
     * nanoseconds); within 0..wall, as the kernel's own is.
     */
    static long cpuWithin(long cpu, long wall) {
        return Math.max(0, Math.min(cpu, wall));
    }

    /**
     * Run-queue time is part of off-CPU time, but the kernel keeps it on the run queue's clock and
     * off-CPU time is wall minus the task clock: they can disagree by tens of nanoseconds per
     * switch. Never report more run-queue wait than off-CPU time.
     */
    private static long runDelayWithin(long runDelay, long offCpu) {
        return Math.max(0, Math.min(runDelay, offCpu));
    }

    private void beginWrite() {
        SEQ.setOpaque(this, (int) SEQ.getOpaque(this) + 1);
        VarHandle.storeStoreFence();
    }

    private void endWrite() {
        SEQ.setRelease(this, (int) SEQ.getOpaque(this) + 1);
    }

    // ---- readers

    /**
     * Copies this virtual thread's totals as of now into {@code into} (no allocation after the
     * first use of {@code into}) and returns it. On the virtual thread itself: exact, a few loads
     * (the carrier is running it). From another thread: totals of completed mounts are exact; the
     * mount in progress, if any, is added from its carrier's published numbers, whose off-CPU
     * time is current and whose run-queue time and switches are as of the carrier's last switch.
     *
     * @throws IllegalStateException if the agent's accounting stopped after an error (see
     *         {@link VirtualThreads#status()}): the totals would be incomplete
     */
    public VirtualThreadSnapshot snapshot(VirtualThreadSnapshot into) {
        MountAccounting.checkHealthy();
        Thread current = Thread.currentThread();
        if (current.isVirtual() && current.threadId() == threadId) {
            readOwn(into);
        } else {
            readOther(into);
        }
        return into;
    }

    /**
     * CPU nanoseconds of this virtual thread up to now. On the virtual thread itself: loads only,
     * exact; from another thread: as {@link #snapshot}.
     *
     * @throws IllegalStateException on the thread itself, when the mount in progress cannot be
     *         measured (the publisher missed a switch of the carrier since the mount)
     */
    public long cpuTimeNowNanos() {
        Thread current = Thread.currentThread();
        if (current.isVirtual() && current.threadId() == threadId) {
            MountAccounting.checkHealthy();
            Carrier c = carrier;
            if (c != null && c.sample()) {
                long cpuNow = c.markExact();
                return cpuNanos + cpuWithin(cpuNow - mountCpuNanos, System.nanoTime() - mountWallNanos);
            }
            throw new IllegalStateException("the current mount is not measured: the publisher missed a switch of carrier "
                    + (c == null ? "?" : c.tid) + " (or its registration was released)");
        }
        return snapshot(new VirtualThreadSnapshot()).cpuNanos();
    }

    /** Own thread: we are mounted, nobody else writes, and the carrier is the OS thread running us. */
    private void readOwn(VirtualThreadSnapshot into) {
        into.setTotals(cpuNanos, offCpuNanos, runDelayNanos, mountedNanos, carrierNvcsw, carrierNivcsw, mounts,
                unmeasuredMounts, firstMountNanos, lastUnmountNanos);
        Carrier c = carrier;
        if (c != null && c.sample() && c.sawEverySwitchSince(mountPcount, mountNvcsw, mountNivcsw)) {
            long cpuNow = c.markExact();
            long now = System.nanoTime(); // after the CPU clock
            long wall = now - mountWallNanos;
            long cpu = cpuWithin(cpuNow - mountCpuNanos, wall);
            long off = wall - cpu;
            into.addMounted(c.tid, now, wall, off, runDelayWithin(c.runDelayNanos - mountRunDelayNanos, off),
                    c.nvcsw - mountNvcsw, c.nivcsw - mountNivcsw);
        } else {
            into.notMounted(System.nanoTime(), -1); // carrierTid -1: the mount in progress is not measured
        }
    }

    /**
     * Another thread: totals of completed mounts under the sequence counter; the mount in progress
     * from the carrier's CPU clock (a system call: clock_gettime on the carrier's thread clock) and
     * its slot, kept only if the same mount was still in progress after both were read.
     */
    private void readOther(VirtualThreadSnapshot into) {
        StatsSnapshot carrierStats = into.carrierScratch();
        int spins = 0;
        while (true) {
            int s = (int) SEQ.getAcquire(this);
            if ((s & 1) == 0) {
                long cpu = cpuNanos;
                long off = offCpuNanos;
                long run = runDelayNanos;
                long mounted = mountedNanos;
                long nv = carrierNvcsw;
                long niv = carrierNivcsw;
                long m = mounts;
                long unmeasured = unmeasuredMounts;
                long first = firstMountNanos;
                long last = lastUnmountNanos;
                Carrier c = carrier;
                long mWall = mountWallNanos;
                long mCpu = mountCpuNanos;
                long mRun = mountRunDelayNanos;
                long mNv = mountNvcsw;
                long mNiv = mountNivcsw;
                VarHandle.loadLoadFence();
                if ((int) SEQ.getOpaque(this) == s) {
                    into.setTotals(cpu, off, run, mounted, nv, niv, m, unmeasured, first, last);
                    if (c == null) {
                        into.notMounted(System.nanoTime(), -1);
                        return;
                    }
                    long carrierCpu = carrierCpuNanos(c.tid);
                    long now = System.nanoTime(); // after the CPU clock: CPU so far <= wall so far
                    if (carrierCpu < 0 && (int) SEQ.getAcquire(this) == s) {
                        into.notMounted(now, -1); // the carrier is gone (it cannot be while mounted): not measured
                        return;
                    }
                    carrierStats.readSlot(c.slot());
                    boolean sameMount = carrierCpu >= 0 && (int) SEQ.getAcquire(this) == s
                            && SlotReader.getInt(c.slot(), SlotLayout.GENERATION) == c.generation();
                    if (sameMount) {
                        long wall = Math.max(0, now - mWall);
                        long cpuSoFar = cpuWithin(carrierCpu - mCpu, wall);
                        long offSoFar = wall - cpuSoFar;
                        into.addMounted(c.tid, now, wall, offSoFar, runDelayWithin(carrierStats.runDelayNanos() - mRun, offSoFar),
                                Math.max(0, carrierStats.nvcsw() - mNv), Math.max(0, carrierStats.nivcsw() - mNiv));
                        return;
                    }
                }
            }
            // a mount or unmount was being recorded: it takes nanoseconds
            if (++spins > 1000) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** The CPU time of carrier {@code tid} now from the kernel's clock, or -1 if the thread is gone. */
    private static long carrierCpuNanos(int tid) {
        try {
            return Libc.threadCpuTimeNanos(tid);
        } catch (RuntimeException gone) {
            return -1;
        }
    }

    @Override
    public String toString() {
        return "VirtualThreadStats[thread=" + threadId + "]";
    }
}
