package dev.taskshared.opentelemetry;

import dev.taskshared.Feature;
import dev.taskshared.TaskShared;
import dev.taskshared.export.GroupTotals;
import dev.taskshared.export.ThreadGroupStats;
import dev.taskshared.export.ThreadGrouping;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.metrics.ObservableMeasurement;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per thread group scheduler statistics of the threads registered with a {@link TaskShared}
 * instance, as OpenTelemetry asynchronous instruments (names justified in the README):
 *
 * <pre>
 * taskshared.thread.cpu.time          Counter (double)  s                 taskshared.thread.group
 * taskshared.thread.off_cpu.time      Counter (double)  s                 (BPF mode)
 * taskshared.thread.run_queue.delay   Counter (double)  s
 * taskshared.thread.context_switches  Counter (long)    {context_switch}  + taskshared.context_switch.type
 * taskshared.thread.migrations        Counter (long)    {migration}       (BPF mode)
 * taskshared.thread.count             UpDownCounter     {thread}          registered threads of the group
 * </pre>
 *
 * <p>One batch callback reads every registered thread's slot at each collection (loads only) and
 * reports every group's cumulative totals, which never go backwards: a thread that dies leaves
 * its totals in its group ({@link ThreadGroupStats}). Groups come from thread names, never one
 * series per thread by default, capped in number. Thread-safe; {@link #close()} removes the
 * callback.
 */
public final class TaskSharedMetrics implements AutoCloseable {
    /** Instrumentation scope name used by {@link #register(OpenTelemetry, TaskShared)}. */
    public static final String SCOPE = "dev.taskshared";
    /** The attribute naming a group of threads. */
    public static final AttributeKey<String> GROUP = AttributeKey.stringKey("taskshared.thread.group");
    /** Voluntary or involuntary, on {@code taskshared.thread.context_switches}. */
    public static final AttributeKey<String> SWITCH_TYPE = AttributeKey.stringKey("taskshared.context_switch.type");

    private final ThreadGroupStats stats;
    private final BatchCallback callback;
    private final Map<String, Attributes[]> attributes = new ConcurrentHashMap<>();

    private TaskSharedMetrics(Meter meter, TaskShared ts, ThreadGrouping grouping, int maxGroups) {
        this.stats = new ThreadGroupStats(ts, grouping, maxGroups);
        ObservableDoubleMeasurement cpu = meter.counterBuilder("taskshared.thread.cpu.time").ofDoubles().setUnit("s")
                .setDescription("CPU time of the group's threads, each since it started").buildObserver();
        ObservableDoubleMeasurement off = ts.supports(Feature.OFF_CPU)
                ? meter.counterBuilder("taskshared.thread.off_cpu.time").ofDoubles().setUnit("s")
                        .setDescription("Time the group's threads were not running (blocked, sleeping or waiting for a CPU),"
                                + " each since it registered").buildObserver()
                : null;
        ObservableDoubleMeasurement runQueue = ts.supports(Feature.RUN_DELAY)
                ? meter.counterBuilder("taskshared.thread.run_queue.delay").ofDoubles().setUnit("s")
                        .setDescription("Time the group's threads were runnable but waiting on a run queue, each since it started")
                        .buildObserver()
                : null;
        ObservableLongMeasurement switches = ts.supports(Feature.NVCSW) && ts.supports(Feature.NIVCSW)
                ? meter.counterBuilder("taskshared.thread.context_switches").setUnit("{context_switch}")
                        .setDescription("Context switches of the group's threads since they registered").buildObserver()
                : null;
        ObservableLongMeasurement migrations = ts.supports(Feature.MIGRATIONS)
                ? meter.counterBuilder("taskshared.thread.migrations").setUnit("{migration}")
                        .setDescription("CPU changes of the group's threads since they registered").buildObserver()
                : null;
        ObservableLongMeasurement count = meter.upDownCounterBuilder("taskshared.thread.count").setUnit("{thread}")
                .setDescription("Registered threads of the group").buildObserver();
        List<ObservableMeasurement> more = new ArrayList<>();
        for (ObservableMeasurement m : new ObservableMeasurement[] {off, runQueue, switches, migrations, count}) {
            if (m != null) {
                more.add(m);
            }
        }
        this.callback = meter.batchCallback(() -> {
            for (GroupTotals g : stats.refresh().values()) {
                Attributes[] a = attributesOf(g.group());
                cpu.record(g.cpuNanos() / 1e9, a[0]);
                if (off != null) {
                    off.record(g.offCpuNanos() / 1e9, a[0]);
                }
                if (runQueue != null) {
                    runQueue.record(g.runDelayNanos() / 1e9, a[0]);
                }
                if (switches != null) {
                    switches.record(g.voluntarySwitches(), a[1]);
                    switches.record(g.involuntarySwitches(), a[2]);
                }
                if (migrations != null) {
                    migrations.record(g.migrations(), a[0]);
                }
                count.record(g.liveThreads(), a[0]);
            }
        }, cpu, more.toArray(ObservableMeasurement[]::new));
    }

    /** The group's attributes, made once: plain, voluntary switches, involuntary switches. */
    private Attributes[] attributesOf(String group) {
        return attributes.computeIfAbsent(group, g -> new Attributes[] {
            Attributes.of(GROUP, g),
            Attributes.of(GROUP, g, SWITCH_TYPE, "voluntary"),
            Attributes.of(GROUP, g, SWITCH_TYPE, "involuntary")});
    }

    /** Registers the instruments on {@code otel}'s meter of scope {@value #SCOPE}, default grouping. */
    public static TaskSharedMetrics register(OpenTelemetry otel, TaskShared taskShared) {
        return register(otel.getMeter(SCOPE), taskShared, ThreadGrouping.stripTrailingNumber(), ThreadGroupStats.DEFAULT_MAX_GROUPS);
    }

    /** Registers the instruments on {@code meter}, grouping thread names with {@code grouping}, at most {@code maxGroups} groups. */
    public static TaskSharedMetrics register(Meter meter, TaskShared taskShared, ThreadGrouping grouping, int maxGroups) {
        return new TaskSharedMetrics(meter, taskShared, grouping, maxGroups);
    }

    /** Removes the callback and the exit listener. */
    @Override
    public void close() {
        callback.close();
        stats.close();
    }
}
