package dev.taskshared.export;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.exit.ThreadExit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-group totals of the threads registered with a {@link TaskShared} instance, for metrics
 * systems (Micrometer, OpenTelemetry): each {@link #refresh()} reads every registered thread's
 * slot (loads only; a /proc read once per thread that has no Java name) and sums by group.
 *
 * <p>Guarantee: every total of a group only grows, also when its threads die. A thread that
 * disappears leaves its last numbers in its group; in BPF mode its exit event then adds what it
 * did between the last refresh and its exit. A thread renamed into another group leaves what it
 * had used in the old group and counts from then on in the new one. Groups are never dropped
 * (their counters must not vanish); past {@code maxGroups} distinct groups, threads of new groups go to
 * {@value #OVERFLOW_GROUP} (so at most {@code maxGroups + 1} groups).
 *
 * <p>Thread-safe; {@link #refresh()} is serialised. Cost: one registry lock and list per call,
 * then a consistent snapshot per thread (a few ns each).
 */
public final class ThreadGroupStats implements AutoCloseable {
    /** Default cap on distinct groups. */
    public static final int DEFAULT_MAX_GROUPS = 64;
    /** Where threads go once {@code maxGroups} groups exist. */
    public static final String OVERFLOW_GROUP = "other";

    private static final int CPU = 0;
    private static final int OFF_CPU = 1;
    private static final int RUN_DELAY = 2;
    private static final int NVCSW = 3;
    private static final int NIVCSW = 4;
    private static final int MIGRATIONS = 5;
    private static final int FIELDS = 6;
    /** Refreshes a retired thread waits for its exit event before its numbers are final as they are. */
    private static final int EXIT_WAIT_REFRESHES = 3;

    /** One thread seen by a refresh. */
    private static final class Tracked {
        final ThreadStats handle;
        String name;
        String group;
        /** Numbers at joining its group (0 at first sight: a thread's totals count from its start). */
        final long[] base = new long[FIELDS];
        final long[] last = new long[FIELDS];
        int age;

        Tracked(ThreadStats handle, String name, String group) {
            this.handle = handle;
            this.name = name;
            this.group = group;
        }
    }

    private final TaskShared taskShared;
    private final ThreadGrouping grouping;
    private final int maxGroups;
    private final Map<ThreadStats, Tracked> tracked = new IdentityHashMap<>();
    /** Last numbers of threads that left a group, by group; groups in first-seen order. */
    private final Map<String, long[]> retired = new LinkedHashMap<>();
    /** Threads retired by a refresh whose exit event may still bring their final numbers, by tid. */
    private final Map<Integer, Tracked> awaitingExit = new HashMap<>();
    private final StatsSnapshot snapshot = new StatsSnapshot();
    private final AutoCloseable exitListener;
    private volatile Map<String, GroupTotals> latest = Map.of();

    /** Groups {@code taskShared}'s threads by {@link ThreadGrouping#stripTrailingNumber()}, at most {@value #DEFAULT_MAX_GROUPS} groups. */
    public ThreadGroupStats(TaskShared taskShared) {
        this(taskShared, ThreadGrouping.stripTrailingNumber(), DEFAULT_MAX_GROUPS);
    }

    public ThreadGroupStats(TaskShared taskShared, ThreadGrouping grouping, int maxGroups) {
        if (maxGroups < 1) {
            throw new IllegalArgumentException("maxGroups must be at least 1, not " + maxGroups);
        }
        this.taskShared = taskShared;
        this.grouping = grouping;
        this.maxGroups = maxGroups;
        this.exitListener = taskShared.onThreadExit(this::exited);
    }

    /** The instance whose threads are grouped. */
    public TaskShared taskShared() {
        return taskShared;
    }

    /**
     * Reads every registered thread now and returns the totals by group, groups in the order
     * they were first seen (a group whose threads all ended stays, with its final totals).
     */
    public synchronized Map<String, GroupTotals> refresh() {
        long now = System.nanoTime();
        Set<ThreadStats> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long[] values = new long[FIELDS];
        for (ThreadStats h : taskShared.threads()) {
            try {
                h.snapshot(snapshot);
            } catch (IllegalStateException released) {
                continue; // retired below with its last numbers
            }
            read(snapshot, now, values);
            Tracked t = tracked.get(h);
            String name = nameOf(h, t);
            if (t == null) {
                t = new Tracked(h, name, groupFor(name));
                tracked.put(h, t);
            } else if (!name.equals(t.name)) {
                t.name = name;
                String group = groupFor(name);
                if (!group.equals(t.group)) { // renamed into another group: leave what it used behind
                    retire(t);
                    System.arraycopy(t.last, 0, t.base, 0, FIELDS);
                    t.group = group;
                }
            }
            for (int i = 0; i < FIELDS; i++) {
                t.last[i] = Math.max(t.last[i], values[i]);
            }
            seen.add(h);
        }
        for (Iterator<Tracked> it = tracked.values().iterator(); it.hasNext(); ) {
            Tracked t = it.next();
            if (!seen.contains(t.handle)) {
                retire(t);
                it.remove();
                awaitingExit.put(t.handle.tid(), t);
            }
        }
        awaitingExit.values().removeIf(t -> ++t.age > EXIT_WAIT_REFRESHES);
        return latest = totals();
    }

    /** The totals of the last {@link #refresh()}, without reading anything. */
    public Map<String, GroupTotals> latest() {
        return latest;
    }

    private static void read(StatsSnapshot s, long now, long[] into) {
        // Numbers as of now, not of the last switch: a thread on CPU for long is not behind.
        long since = s.onCpuSinceNanos();
        into[CPU] = since != 0 ? s.sumExecRuntimeNanos() + Math.max(0, now - since) : s.sumExecRuntimeNanos();
        into[OFF_CPU] = s.offCpuNanosAt(now);
        into[RUN_DELAY] = s.runDelayNanos();
        into[NVCSW] = s.nvcsw();
        into[NIVCSW] = s.nivcsw();
        into[MIGRATIONS] = s.migrations();
    }

    private String nameOf(ThreadStats h, Tracked known) {
        Thread owner = h.thread();
        if (owner != null) {
            return owner.getName();
        }
        if (known != null) {
            return known.name;
        }
        // Registered by tid (a carrier, a monitored thread): the kernel's name, read once.
        try {
            return Files.readString(Path.of("/proc", Integer.toString(taskShared.pid()), "task", Integer.toString(h.tid()), "comm"))
                    .strip();
        } catch (IOException e) {
            return "tid-" + h.tid();
        }
    }

    private String groupFor(String name) {
        String g = grouping.groupOf(name);
        if (retired.containsKey(g)) {
            return g;
        }
        if (retired.size() >= maxGroups) {
            g = OVERFLOW_GROUP; // bounded cardinality, whatever the names
        }
        retired.computeIfAbsent(g, k -> new long[FIELDS]);
        return g;
    }

    private void retire(Tracked t) {
        long[] r = retired.get(t.group);
        for (int i = 0; i < FIELDS; i++) {
            r[i] += t.last[i] - t.base[i];
        }
    }

    /** A registered thread exited (BPF mode): its final numbers replace the last ones read. */
    private synchronized void exited(ThreadExit e) {
        long[] fin = {e.sumExecRuntimeNanos(), e.offCpuNanos(), e.runDelayNanos(), e.nvcsw(), e.nivcsw(), e.migrations()};
        Tracked t = awaitingExit.remove(e.tid());
        if (t != null) { // already retired with its last numbers: add what came after
            long[] r = retired.get(t.group);
            for (int i = 0; i < FIELDS; i++) {
                r[i] += Math.max(0, fin[i] - t.last[i]);
            }
            return;
        }
        for (Iterator<Tracked> it = tracked.values().iterator(); it.hasNext(); ) {
            Tracked live = it.next();
            if (live.handle.tid() == e.tid() && live.handle.isReleased()) {
                for (int i = 0; i < FIELDS; i++) {
                    live.last[i] = Math.max(live.last[i], fin[i]);
                }
                retire(live);
                it.remove();
                return;
            }
        }
    }

    private Map<String, GroupTotals> totals() {
        Map<String, long[]> sums = new LinkedHashMap<>();
        Map<String, Integer> live = new HashMap<>();
        for (Map.Entry<String, long[]> e : retired.entrySet()) {
            sums.put(e.getKey(), e.getValue().clone());
        }
        for (Tracked t : tracked.values()) {
            long[] s = sums.get(t.group);
            for (int i = 0; i < FIELDS; i++) {
                s[i] += t.last[i] - t.base[i];
            }
            live.merge(t.group, 1, Integer::sum);
        }
        Map<String, GroupTotals> out = new LinkedHashMap<>();
        sums.forEach((g, s) -> out.put(g, new GroupTotals(g, live.getOrDefault(g, 0), s[CPU], s[OFF_CPU], s[RUN_DELAY],
                s[NVCSW], s[NIVCSW], s[MIGRATIONS])));
        return Collections.unmodifiableMap(out);
    }

    /** Stops listening for thread exits. */
    @Override
    public void close() {
        try {
            exitListener.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot remove the thread exit listener", e);
        }
    }

    @Override
    public String toString() {
        return "ThreadGroupStats[groups=" + latest.keySet() + "]";
    }
}
