package dev.taskshared;

import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.region.SlotValues;
import dev.taskshared.sys.Libc;
import dev.taskshared.sys.Rseq;
import java.lang.foreign.MemorySegment;

/**
 * One registered thread's statistics: the handle of the seed's {@code task_getshared}. Every read
 * is a load from the thread's slot (and, for {@link #cpu()}, from its rseq area): no syscall, no
 * allocation, a few nanoseconds.
 *
 * <p>Thread-safety: any thread may read any handle; a single read is atomic, and
 * {@link #snapshot} is consistent across fields. {@link #cpu()} and {@link #cpuTimeNowNanos()}
 * are cheapest on the owning thread. Reading a number the live publisher does not provide throws
 * {@link UnsupportedFeatureException}; reading after {@link #release()} throws
 * {@link IllegalStateException}.
 *
 * <p>Values are totals since the thread started (with /proc/&lt;tid&gt;/schedstat's meaning) for
 * sum_exec_runtime, run_delay and pcount, and since registration for off-CPU time, switches and
 * migrations. In {@link Mode#BPF} they are current as of the thread's last context switch; in
 * {@link Mode#SAMPLING}, as of the last sample.
 *
 * <p>On a virtual thread, {@link TaskShared#current()} returns the handle of the carrier OS
 * thread it runs on at that moment; the numbers are the carrier's, and a virtual thread that is
 * unmounted and remounted may continue on another carrier. {@link Interval} detects that.
 */
public final class ThreadStats {
    private final Registry registry;
    private final MemorySegment slot;
    private final int slotIndex;
    private final int tid;
    private final int generation;
    private final Thread owner;
    private final MemorySegment rseq;
    private final long features;
    private final Mode mode;
    private volatile boolean released;
    private volatile String releaseReason;
    /** Owner-thread scratch for reads (no allocation on the owner's read path). */
    private final SlotValues scratch = new SlotValues();
    /** Highest CPU time returned so far (benign race between reading threads: each sees a monotonic floor). */
    private long cpuTimeFloor;

    ThreadStats(Registry registry, MemorySegment slot, int slotIndex, int tid, int generation, Thread owner,
                MemorySegment rseq, long features, Mode mode) {
        this.registry = registry;
        this.slot = slot;
        this.slotIndex = slotIndex;
        this.tid = tid;
        this.generation = generation;
        this.owner = owner;
        this.rseq = rseq;
        this.features = features;
        this.mode = mode;
    }

    /** The kernel thread id. */
    public int tid() {
        return tid;
    }

    int slotIndex() {
        return slotIndex;
    }

    /** The publisher filling this handle's slot. */
    public Mode mode() {
        return mode;
    }

    /** Whether reads of {@code feature} return numbers (otherwise they throw). */
    public boolean supports(Feature feature) {
        return (features & feature.mask()) != 0;
    }

    /** Nanoseconds on CPU, as of the last switch-out or sample. */
    public long sumExecRuntimeNanos() {
        return read(Feature.SUM_EXEC_RUNTIME, SlotLayout.SUM_EXEC_RUNTIME_NS);
    }

    /** CLOCK_MONOTONIC nanoseconds of the current switch-in while running, 0 while off CPU (BPF mode). */
    public long onCpuSinceNanos() {
        return read(Feature.ON_CPU_SINCE, SlotLayout.ON_CPU_SINCE_NS);
    }

    /** Nanoseconds runnable but waiting for a CPU. */
    public long runDelayNanos() {
        return read(Feature.RUN_DELAY, SlotLayout.RUN_DELAY_NS);
    }

    /** Times scheduled in. */
    public long pcount() {
        return read(Feature.PCOUNT, SlotLayout.PCOUNT);
    }

    /** Nanoseconds off CPU since registration, measured at context switch (BPF mode). */
    public long offCpuNanos() {
        return read(Feature.OFF_CPU, SlotLayout.OFF_CPU_NS);
    }

    /** Voluntary switches since registration. */
    public long nvcsw() {
        return read(Feature.NVCSW, SlotLayout.NVCSW);
    }

    /** Involuntary switches since registration. */
    public long nivcsw() {
        return read(Feature.NIVCSW, SlotLayout.NIVCSW);
    }

    /** CPU changes since registration (BPF mode). */
    public long migrations() {
        return read(Feature.MIGRATIONS, SlotLayout.MIGRATIONS);
    }

    /**
     * The CPU the thread runs on. On the owning platform thread: one load from its rseq area,
     * which the kernel keeps current; on a virtual thread: sched_getcpu(3) of its carrier; from
     * another thread: the CPU the publisher last saw it on.
     */
    public int cpu() {
        Thread current = Thread.currentThread();
        if (current == owner && rseq != null) {
            int cpu = rseq.get(java.lang.foreign.ValueLayout.JAVA_INT, Rseq.CPU_ID_OFFSET);
            checkLive();
            return cpu;
        }
        if (current.isVirtual()) {
            return Libc.schedGetcpu();
        }
        require(Feature.CPU);
        int cpu = SlotReader.getInt(slot, SlotLayout.CPU);
        checkLive();
        return cpu;
    }

    /** User-mode CPU nanoseconds as the kernel keeps them (task_struct utime), as of the last switch-out. */
    public long utimeNanos() {
        return read(Feature.UTIME, SlotLayout.UTIME_NS);
    }

    /** Kernel-mode CPU nanoseconds as the kernel keeps them (task_struct stime), as of the last switch-out. */
    public long stimeNanos() {
        return read(Feature.STIME, SlotLayout.STIME_NS);
    }

    /**
     * Exact CPU time of this thread now, in nanoseconds; never less than an earlier result for
     * the same thread. In BPF mode a few loads (the kernel's sum at the last switch + the time
     * since the switch-in); in sampling mode, or when the publisher missed the current switch-in,
     * a clock_gettime(CLOCK_THREAD_CPUTIME_ID) syscall.
     */
    public long cpuTimeNowNanos() {
        long now = -1;
        if (supports(Feature.ON_CPU_SINCE)) {
            SlotValues v = Thread.currentThread() == owner ? scratch : new SlotValues();
            v.read(slot, true);
            checkGeneration(v.generation());
            if (v.onCpuSinceNanos() != 0 || Thread.currentThread() != owner) {
                now = v.cpuTimeAtReadNanos();
            }
        }
        if (now < 0) {
            checkLive();
            now = Thread.currentThread() == owner ? Libc.threadCpuTimeNanos() : Libc.threadCpuTimeNanos(tid);
        }
        // The estimate between switches counts interrupt and steal time as CPU; the kernel's sum at
        // the next switch does not: never step back.
        long floor = cpuTimeFloor;
        if (now < floor) {
            return floor;
        }
        cpuTimeFloor = now;
        return now;
    }

    /**
     * Copies a consistent view of every field into {@code into} (no allocation). Fields the
     * publisher does not provide are 0.
     */
    public StatsSnapshot snapshot(StatsSnapshot into) {
        into.readSlot(slot);
        checkGeneration(into.generation());
        return into;
    }

    /** Starts a new measurement of one operation on this thread. Allocates the Interval only. */
    public Interval newInterval() {
        return new Interval(this);
    }

    /**
     * Gives the slot back; the handle must not be used afterwards. Optional: the slot of a thread
     * that dies without releasing is reclaimed automatically.
     */
    public void release() {
        registry.release(this);
    }

    /** Whether the slot was released, explicitly or because the thread died. */
    public boolean isReleased() {
        return released;
    }

    void markReleased(String reason) {
        releaseReason = reason;
        released = true;
    }

    /**
     * Why the registration ended other than by {@link #release()} or the thread's exit, or null:
     * it was taken away (host publisher: another holder of the shared map deleted or replaced the
     * thread's entry, so the kernel stopped writing this slot). Reads then throw with this reason
     * instead of serving frozen numbers; the thread's next {@link TaskShared#currentThread()}
     * registers it again.
     */
    public String releaseReason() {
        return releaseReason;
    }

    /** Reads the slot into {@code into} (bounded retries) and checks that it is still this registration's. */
    void read(SlotValues into) {
        into.read(slot, true);
        checkGeneration(into.generation());
    }

    Thread owner() {
        return owner;
    }

    MemorySegment slot() {
        return slot;
    }

    private long read(Feature f, long offset) {
        require(f);
        long v = SlotReader.getLong(slot, offset);
        checkLive();
        return v;
    }

    private void require(Feature f) {
        if ((features & f.mask()) == 0) {
            throw new UnsupportedFeatureException(f, mode + " mode");
        }
    }

    /** The value just read belongs to this registration only if the slot was not handed on. */
    void checkLive() {
        if (SlotReader.getInt(slot, SlotLayout.GENERATION) != generation) {
            throw released();
        }
    }

    private void checkGeneration(int seen) {
        if (seen != generation) { // a released slot's generation moves on
            throw released();
        }
    }

    private IllegalStateException released() {
        String why = releaseReason;
        return new IllegalStateException("thread " + tid + "'s registration was " + (why == null ? "released" : "taken away: " + why));
    }

    /**
     * The Java platform thread that registered this handle through {@link TaskShared#currentThread()},
     * or null for a handle registered by tid (a monitored thread, or a virtual thread's carrier).
     * For naming and grouping threads in metrics; the thread may have ended.
     */
    public Thread thread() {
        return owner;
    }

    @Override
    public String toString() {
        return "ThreadStats[tid=" + tid + ", slot=" + slotIndex + ", mode=" + mode + (released ? ", released" : "") + "]";
    }
}
