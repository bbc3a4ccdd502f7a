package dev.taskshared.micrometer;

import dev.taskshared.Feature;
import dev.taskshared.TaskShared;
import dev.taskshared.export.GroupTotals;
import dev.taskshared.export.ThreadGroupStats;
import dev.taskshared.export.ThreadGrouping;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;

/**
 * Per thread group scheduler statistics of the threads registered with a {@link TaskShared}
 * instance, as Micrometer meters (names and units in the README):
 *
 * <pre>
 * taskshared.threads.cpu.time          FunctionCounter, seconds   tag thread.group
 * taskshared.threads.off.cpu.time      FunctionCounter, seconds   (BPF mode)
 * taskshared.threads.run.queue.delay   FunctionCounter, seconds
 * taskshared.threads.context.switches  FunctionCounter, switches  tag type=voluntary|involuntary
 * taskshared.threads.migrations        FunctionCounter, migrations (BPF mode)
 * taskshared.threads.live              Gauge, threads             registered threads of the group
 * </pre>
 *
 * <p>Threads are grouped by name ({@link ThreadGrouping#stripTrailingNumber()} unless told
 * otherwise), never one series per thread by default, and the number of groups is capped. A
 * group's counters never go backwards: a thread that dies leaves its totals in its group
 * ({@link ThreadGroupStats}). A daemon thread ({@code taskshared-micrometer}) reads the slots every
 * refresh interval (default 1 s; loads only) and registers the meters of groups that appear;
 * meters read the last refresh, so a scrape costs no read of the slots. {@link #close()} stops
 * that thread. Thread-safe.
 */
public final class TaskSharedThreadMetrics implements MeterBinder, AutoCloseable {
    /** The tag naming a group of threads (not a {@code java.lang.ThreadGroup}). */
    public static final String GROUP_TAG = "thread.group";
    static final String PREFIX = "taskshared.threads.";

    private final TaskShared taskShared;
    private final ThreadGroupStats stats;
    private final Iterable<Tag> tags;
    private final Duration refreshInterval;
    private final List<Bound> registries = new CopyOnWriteArrayList<>();
    private Thread refresher;
    private volatile boolean closed;

    /** One registry bound to, and the groups whose meters it has. */
    private record Bound(MeterRegistry registry, Set<String> groups) {
    }

    private TaskSharedThreadMetrics(Builder b) {
        this.taskShared = b.taskShared;
        this.stats = new ThreadGroupStats(b.taskShared, b.grouping, b.maxGroups);
        this.tags = b.tags;
        this.refreshInterval = b.refreshInterval;
    }

    /** Meters of {@code taskShared}'s threads with the default grouping, no extra tags, refreshed every second. */
    public TaskSharedThreadMetrics(TaskShared taskShared) {
        this(builder(taskShared));
    }

    /** Options: grouping, extra tags, group cap, refresh interval. */
    public static Builder builder(TaskShared taskShared) {
        return new Builder(taskShared);
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        Bound b = new Bound(registry, new HashSet<>());
        registries.add(b);
        register(b, stats.refresh());
        if (refresher == null) {
            refresher = Thread.ofPlatform().daemon().name("taskshared-micrometer").start(this::refreshLoop);
        }
    }

    /**
     * Reads every registered thread now and registers the meters of new groups (the refresher
     * does this every interval). Returns the totals by group.
     */
    public synchronized Map<String, GroupTotals> refresh() {
        Map<String, GroupTotals> totals = stats.refresh();
        for (Bound b : registries) {
            register(b, totals);
        }
        return totals;
    }

    private void refreshLoop() {
        while (!closed) {
            LockSupport.parkNanos(this, refreshInterval.toNanos());
            if (!closed) {
                try {
                    refresh();
                } catch (RuntimeException e) {
                    System.getLogger(TaskSharedThreadMetrics.class.getName())
                            .log(System.Logger.Level.WARNING, "taskshared thread metrics refresh failed", e);
                }
            }
        }
    }

    private void register(Bound b, Map<String, GroupTotals> totals) {
        for (String group : totals.keySet()) {
            if (b.groups.add(group)) {
                registerGroup(b.registry, group);
            }
        }
    }

    private void registerGroup(MeterRegistry registry, String group) {
        Tags groupTags = Tags.concat(tags, GROUP_TAG, group);
        seconds(registry, "cpu.time", "Time on CPU of the group's threads, each since it started", groupTags,
                group, GroupTotals::cpuNanos);
        if (taskShared.supports(Feature.OFF_CPU)) {
            seconds(registry, "off.cpu.time", "Time off CPU (blocked, sleeping or waiting for a CPU) of the group's threads,"
                    + " each since it registered", groupTags, group, GroupTotals::offCpuNanos);
        }
        if (taskShared.supports(Feature.RUN_DELAY)) {
            seconds(registry, "run.queue.delay", "Time the group's threads were runnable but waiting on a run queue,"
                    + " each since it started", groupTags, group, GroupTotals::runDelayNanos);
        }
        if (taskShared.supports(Feature.NVCSW) && taskShared.supports(Feature.NIVCSW)) {
            count(registry, "context.switches", "Context switches of the group's threads since they registered",
                    "switches", groupTags.and("type", "voluntary"), group, GroupTotals::voluntarySwitches);
            count(registry, "context.switches", "Context switches of the group's threads since they registered",
                    "switches", groupTags.and("type", "involuntary"), group, GroupTotals::involuntarySwitches);
        }
        if (taskShared.supports(Feature.MIGRATIONS)) {
            count(registry, "migrations", "CPU changes of the group's threads since they registered", "migrations",
                    groupTags, group, GroupTotals::migrations);
        }
        Gauge.builder(PREFIX + "live", this, m -> m.totals(group).liveThreads())
                .description("Registered threads of the group now").baseUnit(BaseUnits.THREADS).tags(groupTags)
                .strongReference(true).register(registry);
    }

    private void seconds(MeterRegistry registry, String name, String description, Tags groupTags, String group,
                         ToDoubleFunction<GroupTotals> nanos) {
        FunctionCounter.builder(PREFIX + name, this, m -> nanos.applyAsDouble(m.totals(group)) / 1e9)
                .description(description).baseUnit("seconds").tags(groupTags).register(registry);
    }

    private void count(MeterRegistry registry, String name, String description, String unit, Tags groupTags, String group,
                       ToDoubleFunction<GroupTotals> value) {
        FunctionCounter.builder(PREFIX + name, this, m -> value.applyAsDouble(m.totals(group)))
                .description(description).baseUnit(unit).tags(groupTags).register(registry);
    }

    private static final GroupTotals NONE = new GroupTotals("", 0, 0, 0, 0, 0, 0, 0);

    private GroupTotals totals(String group) {
        return stats.latest().getOrDefault(group, NONE);
    }

    /** Stops the refresher and the exit listener; registered meters keep their last values. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = refresher;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stats.close();
    }

    /** Options of {@link TaskSharedThreadMetrics}. */
    public static final class Builder {
        private final TaskShared taskShared;
        private ThreadGrouping grouping = ThreadGrouping.stripTrailingNumber();
        private Iterable<Tag> tags = Tags.empty();
        private int maxGroups = ThreadGroupStats.DEFAULT_MAX_GROUPS;
        private Duration refreshInterval = Duration.ofSeconds(1);

        private Builder(TaskShared taskShared) {
            this.taskShared = Objects.requireNonNull(taskShared, "taskShared");
        }

        /** How thread names map to groups (default: strip the trailing number). */
        public Builder grouping(ThreadGrouping grouping) {
            this.grouping = Objects.requireNonNull(grouping, "grouping");
            return this;
        }

        /** Tags added to every meter. */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = Objects.requireNonNull(tags, "tags");
            return this;
        }

        /** Cap on distinct groups; threads of further groups go to "other" (default 64). */
        public Builder maxGroups(int maxGroups) {
            if (maxGroups < 1) {
                throw new IllegalArgumentException("maxGroups must be at least 1, not " + maxGroups);
            }
            this.maxGroups = maxGroups;
            return this;
        }

        /** How often the slots are read and new groups registered (default 1 s, at least 10 ms). */
        public Builder refreshInterval(Duration interval) {
            if (interval.toMillis() < 10) {
                throw new IllegalArgumentException("refreshInterval must be at least 10 ms, not " + interval);
            }
            this.refreshInterval = interval;
            return this;
        }

        public TaskSharedThreadMetrics build() {
            return new TaskSharedThreadMetrics(this);
        }
    }
}
