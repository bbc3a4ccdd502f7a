package dev.taskshared.vthread;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
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
    private long mountOffCpuNanos;
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

    /** Just mounted on {@code c}: record the carrier's totals. */
    void mounted(Carrier c) {
        boolean read = c.sample();
        beginWrite();
        mounts++;
        if (read) {
            if (firstMountNanos == 0) {
                firstMountNanos = c.wallNanos;
            }
            carrier = c;
            mountWallNanos = c.wallNanos;
            mountOffCpuNanos = c.offCpuNanos;
            mountRunDelayNanos = c.runDelayNanos;
            mountNvcsw = c.nvcsw;
            mountNivcsw = c.nivcsw;
            mountPcount = c.pcount;
        } else {
            carrier = null;
            unmeasuredMounts++;
        }
        endWrite();
    }

    /** About to unmount: add the carrier's time since {@link #mounted}. */
    void unmounting() {
        Carrier c = carrier;
        if (c == null) {
            return; // this mount was not measured (counted in unmeasuredMounts)
        }
        boolean read = c.sample() && c.sawEverySwitchSince(mountPcount, mountNvcsw, mountNivcsw);
        long wall = c.wallNanos - mountWallNanos;
        long off = read ? offCpuWithin(c.offCpuNanos - mountOffCpuNanos, wall) : -1;
        read &= off >= 0;
        beginWrite();
        if (read) {
            mountedNanos += wall;
            offCpuNanos += off;
            cpuNanos += wall - off;
            runDelayNanos += runDelayWithin(c.runDelayNanos - mountRunDelayNanos, off);
            carrierNvcsw += c.nvcsw - mountNvcsw;
            carrierNivcsw += c.nivcsw - mountNivcsw;
            lastUnmountNanos = c.wallNanos;
        } else {
            unmeasuredMounts++;
        }
        carrier = null;
        endWrite();
    }

    /** How far off-CPU time may exceed wall time over a mount and still be read as "all of it" (the lead's Interval uses the same). */
    static final long CLOCK_SKEW_NANOS = 20_000;

    /**
     * Off-CPU time of a mount checked against its wall time: the publisher stamps switches with
     * the kernel's clock at the tracepoint, we read the wall clock in Java, so off-CPU may exceed
     * wall by microseconds (then: all of it was off CPU); by more, or negative, the mount cannot
     * be measured: returns -1.
     */
    static long offCpuWithin(long offCpu, long wall) {
        if (offCpu < 0 || wall < 0 || offCpu > wall + CLOCK_SKEW_NANOS) {
            return -1;
        }
        return Math.min(offCpu, wall);
    }

    /**
     * Run-queue time is part of off-CPU time, but the kernel keeps it on the run queue's clock and
     * the publisher measures off-CPU time on the monotonic clock: they can disagree by tens of
     * nanoseconds per switch. Never report more run-queue wait than off-CPU time.
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
            if (c != null && c.sample() && c.sawEverySwitchSince(mountPcount, mountNvcsw, mountNivcsw)) {
                long wall = c.wallNanos - mountWallNanos;
                long off = offCpuWithin(c.offCpuNanos - mountOffCpuNanos, wall);
                if (off >= 0) {
                    return cpuNanos + wall - off;
                }
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
        long off = -1;
        if (c != null && c.sample() && c.sawEverySwitchSince(mountPcount, mountNvcsw, mountNivcsw)) {
            off = offCpuWithin(c.offCpuNanos - mountOffCpuNanos, c.wallNanos - mountWallNanos);
        }
        if (off >= 0) {
            long wall = c.wallNanos - mountWallNanos;
            into.addMounted(c.tid, c.wallNanos, wall, off, runDelayWithin(c.runDelayNanos - mountRunDelayNanos, off),
                    c.nvcsw - mountNvcsw, c.nivcsw - mountNivcsw);
        } else {
            into.notMounted(System.nanoTime(), -1); // carrierTid -1: the mount in progress is not measured
        }
    }

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
                long mOff = mountOffCpuNanos;
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
                    carrierStats.readSlot(c.slot());
                    long now = System.nanoTime();
                    boolean sameMount = (int) SEQ.getAcquire(this) == s
                            && SlotReader.getInt(c.slot(), SlotLayout.GENERATION) == c.generation();
                    if (sameMount) {
                        long wall = Math.max(0, now - mWall);
                        long offNow = Math.min(wall, Math.max(0, carrierStats.offCpuNanosAt(now) - mOff));
                        into.addMounted(c.tid, now, wall, offNow, Math.min(offNow, Math.max(0, carrierStats.runDelayNanos() - mRun)),
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

    @Override
    public String toString() {
        return "VirtualThreadStats[thread=" + threadId + "]";
    }
}
