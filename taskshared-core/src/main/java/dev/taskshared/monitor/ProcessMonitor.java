package dev.taskshared.monitor;

import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.publisher.BpfPageOpener;
import dev.taskshared.publisher.RegistrationConflictException;
import dev.taskshared.region.HeaderInfo;
import dev.taskshared.region.RegionReader;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.region.SlotUnreadableException;
import dev.taskshared.sys.ErrnoException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-thread numbers of any process, for {@code taskshared top}. A process that uses the library
 * is read from its own region (no syscall per thread); any other has its threads registered in
 * a publisher of the monitor's own, picking up threads that appear and dropping those that exit.
 *
 * <p>Not thread-safe: one monitor per monitoring thread.
 */
public final class ProcessMonitor implements AutoCloseable {
    private final int pid;
    private final RegionReader reader;
    private final TaskShared own;
    /** For threads the host publisher's map already has an entry for (their own process registered them): sampled from /proc. */
    private TaskShared sampled;
    private final Set<Integer> sampledTids = new HashSet<>();
    private final Map<Integer, ThreadStats> handles = new HashMap<>();
    private final Map<Integer, Long> lastSum = new HashMap<>();
    private final Map<Integer, String> names = new HashMap<>();
    private final StatsSnapshot snapshot = new StatsSnapshot();
    private long lastSampleNanos;

    private ProcessMonitor(int pid, RegionReader reader, TaskShared own) {
        this.pid = pid;
        this.reader = reader;
        this.own = own;
    }

    /**
     * Watches process {@code pid}: through its region when it has one, else by registering its
     * threads in a publisher of our own ({@code requested} mode, or the best available if null).
     *
     * @throws IllegalArgumentException if there is no such process
     */
    public static ProcessMonitor open(int pid, Mode requested) throws IOException {
        if (!Files.isDirectory(Path.of("/proc/" + pid + "/task"))) {
            throw new IllegalArgumentException("no process " + pid);
        }
        if (requested == null) {
            BpfPageOpener opener = new BpfPageOpener();
            RegionReader reader;
            try {
                reader = RegionReader.open(pid, opener);
            } catch (IOException | RuntimeException e) {
                opener.close();
                throw e;
            }
            if (reader != null) {
                return new ProcessMonitor(pid, reader, null);
            }
            opener.close();
        }
        TaskShared own = TaskShared.builder().watchProcess(pid).mode(requested).build();
        ProcessMonitor m = new ProcessMonitor(pid, null, own);
        m.refreshThreads();
        return m;
    }

    public int pid() {
        return pid;
    }

    /**
     * Threads read by sampling /proc although this monitor's own publisher is the host
     * publisher: another process (their own) registered them in its map, and a monitor never
     * takes a registration away. 0 when reading a region, or when none conflicted.
     */
    public int sampledThreads() {
        return sampledTids.size();
    }

    /** The mode of the publisher whose numbers this monitor reads. */
    public Mode mode() {
        return reader != null ? Mode.ofCode(reader.header().publisherKind()) : own.mode();
    }

    /** Where the numbers come from, in words. */
    public String source() {
        if (reader != null) {
            HeaderInfo h = reader.header();
            return "the process's own region " + reader.path() + " (" + Mode.ofCode(h.publisherKind()) + ")";
        }
        return "threads registered by this monitor: " + own.modeDescription()
                + (sampledTids.isEmpty() ? "" : "; " + sampledTids.size() + " thread(s) registered by their own process in the host "
                        + "publisher's map are sampled from /proc instead of taken away");
    }

    /**
     * How old values may be: the sampler's live period in nanoseconds (it grows past the
     * configured interval to keep within the CPU budget), 0 for a BPF publisher.
     */
    public long samplePeriodNanos() {
        return reader != null ? reader.samplePeriodNanos() : own.samplePeriodNanos();
    }

    /** Whether the numbers include {@code f}. */
    public boolean supports(Feature f) {
        return reader != null ? (reader.usableFeatures() & f.mask()) != 0 : own.supports(f);
    }

    /** Registers threads that appeared and drops those that exited (own-publisher mode). */
    private void refreshThreads() throws IOException {
        if (own == null) {
            return;
        }
        Set<Integer> live = listThreads();
        handles.entrySet().removeIf(e -> {
            boolean gone = !live.contains(e.getKey()) || e.getValue().isReleased();
            if (gone) {
                (sampledTids.remove(e.getKey()) ? sampled : own).release(e.getKey());
            }
            return gone;
        });
        for (int tid : live) {
            if (!handles.containsKey(tid)) {
                try {
                    handles.put(tid, own.register(tid));
                } catch (RegistrationConflictException e) {
                    // Registered by someone else (its own JVM, through the host publisher): never take it away.
                    if (sampled == null) {
                        sampled = TaskShared.builder().watchProcess(pid).mode(Mode.SAMPLING).build();
                    }
                    handles.put(tid, sampled.register(tid));
                    sampledTids.add(tid);
                } catch (ErrnoException e) {
                    if (Files.exists(Path.of("/proc/" + pid + "/task/" + tid))) {
                        throw e; // the thread is there: a real failure (EPERM, EMFILE, ...), not an exit
                    }
                    // exited between the listing and the registration
                }
            }
        }
    }

    private Set<Integer> listThreads() throws IOException {
        Set<Integer> tids = new HashSet<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path p : d) {
                tids.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("process " + pid + " exited");
        }
        return tids;
    }

    /** Slots found unreadable by the last {@link #sample()} (their sequence never settled), with the last reason. */
    public int unreadableSlots() {
        return unreadable;
    }

    /** Why the last unreadable slot could not be read, or null. */
    public String unreadableReason() {
        return lastUnreadable;
    }

    private int unreadable;
    private String lastUnreadable;

    /** The numbers of every watched thread now, sorted by tid. Slots that cannot be read are counted, not shown. */
    public List<ThreadSample> sample() throws IOException {
        refreshThreads();
        unreadable = 0;
        long now = System.nanoTime();
        double elapsed = lastSampleNanos == 0 ? 0 : now - lastSampleNanos;
        List<ThreadSample> out = new ArrayList<>();
        Map<Integer, Long> sums = new HashMap<>();
        if (reader != null) {
            String gone = reader.ownerGone(); // never show a dead process's threads under its pid
            if (gone != null) {
                throw new IllegalStateException(gone);
            }
            reader.refresh();
            for (int i = 0; i < reader.slotCount(); i++) {
                MemorySegment slot = reader.slot(i);
                if (slot == null || SlotReader.getInt(slot, SlotLayout.TID) == 0) {
                    continue;
                }
                try {
                    snapshot.readSlot(slot);
                } catch (SlotUnreadableException e) {
                    unreadable++; // a writer died mid-write or the region is corrupted: say so, never hang
                    lastUnreadable = e.getMessage();
                    continue;
                }
                if (snapshot.tid() != 0) {
                    out.add(toSample(snapshot, elapsed, sums, this::supports));
                }
            }
        } else {
            for (ThreadStats h : handles.values()) {
                try {
                    h.snapshot(snapshot);
                } catch (IllegalStateException e) {
                    continue; // exited meanwhile: its slot was freed
                }
                out.add(toSample(snapshot, elapsed, sums, h::supports));
            }
        }
        lastSum.clear();
        lastSum.putAll(sums);
        lastSampleNanos = now;
        out.sort((a, b) -> Integer.compare(a.tid(), b.tid()));
        return out;
    }

    private ThreadSample toSample(StatsSnapshot s, double elapsedNanos, Map<Integer, Long> sums, java.util.function.Predicate<Feature> supports) {
        int tid = s.tid();
        long sum = s.sumExecRuntimeNanos();
        if (supports.test(Feature.ON_CPU_SINCE) && s.onCpuSinceNanos() != 0) {
            sum += Math.max(0, System.nanoTime() - s.onCpuSinceNanos()); // running now: count up to this moment
        }
        sums.put(tid, sum);
        Long before = lastSum.get(tid);
        // A thread cannot use more than the time that passed: the estimate between switches may count steal time.
        double pct = before == null || elapsedNanos <= 0 ? -1 : Math.min(100.0, Math.max(0, 100.0 * (sum - before) / elapsedNanos));
        return new ThreadSample(tid, name(tid), supports.test(Feature.CPU) ? s.cpu() : -1,
                supports.test(Feature.SUM_EXEC_RUNTIME) ? sum : -1,
                supports.test(Feature.RUN_DELAY) ? s.runDelayNanos() : -1,
                supports.test(Feature.PCOUNT) ? s.pcount() : -1,
                supports.test(Feature.OFF_CPU) ? s.offCpuNanosAt(System.nanoTime()) : -1,
                supports.test(Feature.NVCSW) ? s.nvcsw() : -1,
                supports.test(Feature.NIVCSW) ? s.nivcsw() : -1,
                supports.test(Feature.MIGRATIONS) ? s.migrations() : -1,
                pct);
    }

    private String name(int tid) {
        return names.computeIfAbsent(tid, t -> {
            try {
                return Files.readString(Path.of("/proc/" + pid + "/task/" + t + "/comm")).strip();
            } catch (IOException e) {
                return "?";
            }
        });
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.close();
        }
        if (own != null) {
            own.close();
        }
        if (sampled != null) {
            sampled.close();
        }
    }
}
