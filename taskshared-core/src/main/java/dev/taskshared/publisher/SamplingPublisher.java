package dev.taskshared.publisher;

import dev.taskshared.region.PublisherKind;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotFeature;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotWriter;
import dev.taskshared.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The publisher that needs no privilege: a daemon thread reads each registered thread's /proc
 * files and writes its slot under the seqlock. Values are as of the last pass, so at most one
 * period old. Off-CPU time, switch-in time and migrations are not observable this way and are
 * not published (reads of them fail; exact CPU time comes from CLOCK_THREAD_CPUTIME_ID instead).
 *
 * <p><b>Cost, bounded.</b> A pass reads each thread's {@code schedstat} through its one kept
 * descriptor (one pread); only a thread that ran since the last pass (its schedstat moved) has
 * its {@code status} and {@code stat} opened, read and closed. The sampler measures its own CPU
 * time per cycle (CLOCK_THREAD_CPUTIME_ID: the pass, and waking up and parking for it) and waits
 * so that it uses at most the CPU budget (default 1% of one core, {@value #BUDGET_PROPERTY}): the
 * period is the configured interval or {@code cycle cost / budget}, whichever is longer. With many threads the period grows instead of
 * the cost; {@link #samplePeriodNanos()} is the live period, also published in the region
 * header's {@code sample_interval_ns} for monitors.
 *
 * <p>Descriptors: one per registered thread; the transient ones are never taken inside the
 * margin kept for the application ({@link DescriptorLimit}); a thread whose files could not be
 * opened keeps its last numbers for that pass.
 *
 * <p>Thread-safe.
 */
public final class SamplingPublisher implements Publisher {
    /** What this publisher fills. */
    public static final long FEATURES = SlotFeature.maskOf(SlotFeature.SUM_EXEC_RUNTIME, SlotFeature.RUN_DELAY, SlotFeature.PCOUNT,
            SlotFeature.CPU, SlotFeature.NVCSW, SlotFeature.NIVCSW);
    /** System property: the sampler's CPU budget in percent of one core (default 1). */
    public static final String BUDGET_PROPERTY = "taskshared.sampleCpuBudgetPercent";
    /** The default CPU budget: 1% of one core. */
    public static final double DEFAULT_CPU_BUDGET = 0.01;

    private static final class Entry {
        final ProcTask task;
        final MemorySegment slot;
        long baseNvcsw = -1;
        long baseNivcsw = -1;
        /** The schedstat numbers last published: equal numbers mean the thread has not run since. */
        long lastSum = -1;
        long lastRunDelay = -1;
        long lastPcount = -1;
        /** Set under the entry's lock by unregister: the slot may be handed to another thread next. */
        boolean removed;

        Entry(ProcTask task, MemorySegment slot) {
            this.task = task;
            this.slot = slot;
        }
    }

    /** Per-pass scratch of one sampling thread (the sampler's, or a registering thread's for the seed sample). */
    private static final class Scratch {
        final MemorySegment buf;
        final long[] schedstat = new long[3];
        final long[] details = new long[3];
        long descriptorCeiling;

        Scratch(Arena arena) {
            buf = arena.allocate(ProcTask.BUFFER_SIZE);
        }
    }

    private final long intervalNanos;
    private final String reason;
    private final Map<Integer, Entry> entries = new ConcurrentHashMap<>();
    private final Thread sampler;
    private volatile double cpuBudget;
    private volatile DescriptorLimit descriptorLimit = DescriptorLimit.fromSystemProperties();
    private volatile MemorySegment header;
    private volatile boolean running = true;
    private volatile long periodNanos;
    private volatile long passes;
    private volatile long passCpuNanos;
    private volatile long lastPassCpuNanos;
    private volatile long threadsRead;
    private volatile long threadsUnchanged;
    private volatile long detailsSkippedForDescriptors;
    private volatile int samplerTid;

    /**
     * Starts the sampling thread with the CPU budget of {@value #BUDGET_PROPERTY} (default 1%).
     *
     * @param intervalNanos shortest time between the starts of two passes
     * @param reason why sampling was chosen, for {@link #description()}
     */
    public SamplingPublisher(long intervalNanos, String reason) {
        this(intervalNanos, budgetFromSystemProperties(), reason);
    }

    /**
     * Starts the sampling thread.
     *
     * @param intervalNanos shortest time between the starts of two passes (at least 100 us)
     * @param cpuBudget the share of one core passes may use, in (0, 1]
     * @param reason why sampling was chosen, for {@link #description()}
     */
    public SamplingPublisher(long intervalNanos, double cpuBudget, String reason) {
        if (intervalNanos < TimeUnit.MICROSECONDS.toNanos(100)) {
            throw new IllegalArgumentException("sample interval " + intervalNanos + " ns is below the 100 us minimum");
        }
        checkBudget(cpuBudget);
        this.intervalNanos = intervalNanos;
        this.cpuBudget = cpuBudget;
        this.periodNanos = intervalNanos;
        this.reason = reason;
        this.sampler = Thread.ofPlatform().daemon().name("taskshared-sampler").unstarted(this::run);
        sampler.start();
    }

    /** The budget from {@value #BUDGET_PROPERTY}, as a fraction of one core. */
    public static double budgetFromSystemProperties() {
        String v = System.getProperty(BUDGET_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_CPU_BUDGET;
        }
        double percent;
        try {
            percent = Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(BUDGET_PROPERTY + "=" + v + ": expected a percentage of one core, e.g. 1 or 0.5");
        }
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException(BUDGET_PROPERTY + "=" + v + ": must be in (0, 100]");
        }
        return percent / 100;
    }

    private static void checkBudget(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("sampling CPU budget must be in (0, 1] of one core, got " + fraction);
        }
    }

    /** Changes the CPU budget (a fraction of one core, in (0, 1]); applies from the next pass. */
    public void setCpuBudget(double fraction) {
        checkBudget(fraction);
        this.cpuBudget = fraction;
    }

    /** The CPU budget, a fraction of one core. */
    public double cpuBudget() {
        return cpuBudget;
    }

    /** The margin below RLIMIT_NOFILE within which no descriptor is taken. */
    public void setDescriptorLimit(DescriptorLimit limit) {
        this.descriptorLimit = limit;
    }

    /**
     * Publishes the live period into a region header's {@code sample_interval_ns} from now on,
     * so that monitors in other processes see it.
     */
    public void publishPeriodInto(MemorySegment regionHeader) {
        this.header = regionHeader;
        RegionHeader.publishSampleInterval(regionHeader, periodNanos);
    }

    @Override
    public PublisherKind kind() {
        return PublisherKind.SAMPLING;
    }

    @Override
    public long features() {
        return FEATURES;
    }

    /** The configured interval: the shortest period, when passes are cheap enough. */
    @Override
    public long sampleIntervalNanos() {
        return intervalNanos;
    }

    /**
     * The live period: time from the start of one pass to the start of the next, the configured
     * interval or longer when the CPU budget demands it. Values are at most this old.
     */
    public long samplePeriodNanos() {
        return periodNanos;
    }

    /** Passes completed so far (each covers every registered thread). */
    public long samples() {
        return passes;
    }

    /**
     * The sampler thread's CPU time so far, nanoseconds (its CLOCK_THREAD_CPUTIME_ID): passes and
     * the waking up and parking between them.
     */
    public long samplerCpuNanos() {
        return passCpuNanos;
    }

    /** CPU time of the last cycle (pass, plus waking up for it), nanoseconds. */
    public long lastPassCpuNanos() {
        return lastPassCpuNanos;
    }

    /** Thread reads so far, and how many of them found the thread had not run (one pread each). */
    public long threadsRead() {
        return threadsRead;
    }

    /** Of {@link #threadsRead()}, those whose schedstat had not changed: status and stat were not read. */
    public long threadsUnchanged() {
        return threadsUnchanged;
    }

    /** Reads of status/stat skipped because a descriptor would have fallen within the application's margin. */
    public long detailsSkippedForDescriptors() {
        return detailsSkippedForDescriptors;
    }

    /** The sampler thread's kernel id (0 until it has started), so that its cost can be checked from outside. */
    public int samplerTid() {
        return samplerTid;
    }

    @Override
    public Page newPage(int index, Region region) {
        return new Page(region.filePage(index), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(index));
    }

    @Override
    public void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        Entry e = new Entry(task, slot);
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = new Scratch(arena);
            s.descriptorCeiling = descriptorLimit.ceiling();
            sample(e, s); // seed now, not one period later
        }
        entries.put(slotIndex, e);
    }

    @Override
    public void unregister(int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        Entry e = entries.remove(slotIndex);
        if (e != null) {
            synchronized (e) {
                e.removed = true; // after this, no sample writes the slot
            }
        }
    }

    @Override
    public String description() {
        return String.format("sampling /proc every %s (interval %d ms, within %s%% of one core; %s)",
                periodText(periodNanos), TimeUnit.NANOSECONDS.toMillis(intervalNanos), percent(cpuBudget), reason);
    }

    private static String periodText(long nanos) {
        return nanos >= 10_000_000 ? (nanos / 1_000_000) + " ms" : String.format("%.1f ms", nanos / 1e6);
    }

    private static String percent(double fraction) {
        double p = fraction * 100;
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }

    private void run() {
        samplerTid = Libc.gettid();
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = new Scratch(arena);
            long next;
            long lastPassEndCpu = Libc.threadCpuTimeNanos();
            while (running) {
                long startNanos = System.nanoTime();
                long cpu0 = Libc.threadCpuTimeNanos();
                // what waking up and parking cost since the last pass (the switch in and out, the
                // timer): the budget covers the whole cycle, not the reads alone
                long overhead = cpu0 - lastPassEndCpu;
                s.descriptorCeiling = descriptorLimit.ceiling();
                long read = 0;
                long unchanged = 0;
                long noDescriptor = 0;
                for (Entry e : entries.values()) {
                    try {
                        int outcome = sample(e, s);
                        read++;
                        if (outcome == UNCHANGED) {
                            unchanged++;
                        } else if (outcome == ProcTask.DETAILS_NO_DESCRIPTOR) {
                            noDescriptor++;
                        }
                    } catch (RuntimeException failure) {
                        // one thread's files failing (say, hidepid) must not stop the others
                        System.getLogger("dev.taskshared").log(System.Logger.Level.DEBUG, "sampling thread " + e.task.tid() + " failed", failure);
                    }
                }
                lastPassEndCpu = Libc.threadCpuTimeNanos();
                long cost = lastPassEndCpu - cpu0 + overhead;
                // cost / period <= budget, cycle by cycle, so the long-run share is within it too.
                long period = Math.max(intervalNanos, (long) Math.ceil(cost / cpuBudget));
                // single writer (this thread): plain read-modify-write of the volatiles is safe
                lastPassCpuNanos = cost;
                passCpuNanos += cost;
                threadsRead += read;
                threadsUnchanged += unchanged;
                detailsSkippedForDescriptors += noDescriptor;
                passes++;
                if (period != periodNanos) {
                    periodNanos = period;
                    MemorySegment h = header;
                    if (h != null) {
                        RegionHeader.publishSampleInterval(h, period);
                    }
                }
                next = startNanos + period;
                long wait = next - System.nanoTime();
                while (wait > 0 && running) {
                    LockSupport.parkNanos(this, wait);
                    wait = next - System.nanoTime();
                }
            }
        }
    }

    /** {@link #sample} outcome: schedstat had not changed, nothing else was read. */
    private static final int UNCHANGED = -1;

    /**
     * Reads the thread's schedstat; when it changed (the thread ran), also status and stat; then
     * writes the slot under the seqlock. A dead thread is skipped (the registry reclaims it); when
     * a descriptor could not be taken the slot keeps its last numbers, consistent with each other.
     *
     * @return {@link #UNCHANGED} or a {@link ProcTask} {@code DETAILS_*} outcome
     */
    private static int sample(Entry e, Scratch s) {
        ProcTask t = e.task;
        long[] ss = s.schedstat;
        if (!t.readSchedstat(s.buf, ss)) {
            return ProcTask.DETAILS_GONE;
        }
        if (ss[0] == e.lastSum && ss[1] == e.lastRunDelay && ss[2] == e.lastPcount) {
            return UNCHANGED; // not run since the last pass: the slot already holds these numbers
        }
        // It ran. Even with pcount unchanged it may have been switched out once since (blocked
        // or preempted, not yet back): only status tells, so read it whenever anything moved.
        long[] d = s.details;
        int outcome = t.readDetails(s.buf, s.descriptorCeiling, d);
        if (outcome != ProcTask.DETAILS_READ) {
            return outcome;
        }
        synchronized (e) {
            if (e.removed) {
                return ProcTask.DETAILS_GONE;
            }
            if (e.baseNvcsw < 0) {
                e.baseNvcsw = d[0];
                e.baseNivcsw = d[1];
            }
            MemorySegment slot = e.slot;
            int seq = SlotWriter.begin(slot);
            SlotWriter.putLong(slot, SlotLayout.SUM_EXEC_RUNTIME_NS, ss[0]);
            SlotWriter.putLong(slot, SlotLayout.RUN_DELAY_NS, ss[1]);
            SlotWriter.putLong(slot, SlotLayout.PCOUNT, ss[2]);
            SlotWriter.putLong(slot, SlotLayout.NVCSW, d[0] - e.baseNvcsw);
            SlotWriter.putLong(slot, SlotLayout.NIVCSW, d[1] - e.baseNivcsw);
            SlotWriter.putInt(slot, SlotLayout.CPU, (int) d[2]);
            SlotWriter.end(slot, seq);
            e.lastSum = ss[0];
            e.lastRunDelay = ss[1];
            e.lastPcount = ss[2];
        }
        return ProcTask.DETAILS_READ;
    }

    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        LockSupport.unpark(sampler);
        try {
            sampler.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        entries.clear();
    }
}
