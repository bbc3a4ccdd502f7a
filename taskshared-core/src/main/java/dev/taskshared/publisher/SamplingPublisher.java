package dev.taskshared.publisher;

import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The publisher that needs no privilege: a daemon thread reads each registered thread's
 * /proc/&lt;pid&gt;/task/&lt;tid&gt;/{schedstat,status,stat} every interval, through kept-open
 * descriptors and pread, and writes the slot under its seqlock. Values are as of the last sample,
 * so at most one interval old. Off-CPU time, switch-in time and migrations are not observable
 * this way and are not published (reads of them fail; exact CPU time comes from
 * CLOCK_THREAD_CPUTIME_ID instead).
 */
public final class SamplingPublisher implements Publisher {
    /** What this publisher fills. */
    public static final long FEATURES = Feature.maskOf(Feature.SUM_EXEC_RUNTIME, Feature.RUN_DELAY, Feature.PCOUNT,
            Feature.CPU, Feature.NVCSW, Feature.NIVCSW);

    private static final class Entry {
        final ProcTask task;
        final MemorySegment slot;
        long baseNvcsw = -1;
        long baseNivcsw = -1;
        /** Set under the entry's lock by unregister: the slot may be handed to another thread next. */
        boolean removed;

        Entry(ProcTask task, MemorySegment slot) {
            this.task = task;
            this.slot = slot;
        }
    }

    private final long intervalNanos;
    private final String reason;
    private final Map<Integer, Entry> entries = new ConcurrentHashMap<>();
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long samples;

    /**
     * Starts the sampling thread.
     *
     * @param intervalNanos time between samples
     * @param reason why sampling was chosen, for {@link #description()}
     */
    public SamplingPublisher(long intervalNanos, String reason) {
        if (intervalNanos < TimeUnit.MICROSECONDS.toNanos(100)) {
            throw new IllegalArgumentException("sample interval " + intervalNanos + " ns is below the 100 us minimum");
        }
        this.intervalNanos = intervalNanos;
        this.reason = reason;
        this.sampler = Thread.ofPlatform().daemon().name("taskshared-sampler").unstarted(this::run);
        sampler.start();
    }

    @Override
    public Mode mode() {
        return Mode.SAMPLING;
    }

    @Override
    public long features() {
        return FEATURES;
    }

    @Override
    public long sampleIntervalNanos() {
        return intervalNanos;
    }

    /** Samples taken so far (each covers every registered thread). */
    public long samples() {
        return samples;
    }

    @Override
    public Page newPage(int index, Region region) {
        return new Page(region.filePage(index), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(index));
    }

    @Override
    public void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        Entry e = new Entry(task, slot);
        try (Arena arena = Arena.ofConfined()) {
            sample(e, arena.allocate(ProcTask.BUFFER_SIZE), new long[3]); // seed now, not one interval later
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
        return "sampling /proc every " + TimeUnit.NANOSECONDS.toMillis(intervalNanos) + " ms (" + reason + ")";
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(ProcTask.BUFFER_SIZE);
            long[] scratch = new long[3];
            long next = System.nanoTime();
            while (running) {
                for (Entry e : entries.values()) {
                    sample(e, buf, scratch);
                }
                samples++;
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait <= 0) {
                    next = System.nanoTime(); // fell behind: do not burst to catch up
                } else {
                    LockSupport.parkNanos(this, wait);
                }
            }
        }
    }

    /** Reads the thread's numbers, then writes them under the seqlock. A dead thread is skipped. */
    private static void sample(Entry e, MemorySegment buf, long[] scratch) {
        ProcTask t = e.task;
        if (!t.readSchedstat(buf, scratch)) {
            return;
        }
        long sum = scratch[0];
        long runDelay = scratch[1];
        long pcount = scratch[2];
        if (!t.readSwitches(buf, scratch)) {
            return;
        }
        if (e.baseNvcsw < 0) {
            e.baseNvcsw = scratch[0];
            e.baseNivcsw = scratch[1];
        }
        long nvcsw = scratch[0] - e.baseNvcsw;
        long nivcsw = scratch[1] - e.baseNivcsw;
        int cpu = t.readCpu(buf);
        if (cpu < 0) {
            return;
        }
        synchronized (e) {
            if (e.removed) {
                return;
            }
            MemorySegment s = e.slot;
            int seq = SlotWriter.begin(s);
            SlotWriter.putLong(s, SlotLayout.SUM_EXEC_RUNTIME_NS, sum);
            SlotWriter.putLong(s, SlotLayout.RUN_DELAY_NS, runDelay);
            SlotWriter.putLong(s, SlotLayout.PCOUNT, pcount);
            SlotWriter.putLong(s, SlotLayout.NVCSW, nvcsw);
            SlotWriter.putLong(s, SlotLayout.NIVCSW, nivcsw);
            SlotWriter.putInt(s, SlotLayout.CPU, cpu);
            SlotWriter.end(s, seq);
        }
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
