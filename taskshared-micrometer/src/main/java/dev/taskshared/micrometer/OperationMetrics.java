package dev.taskshared.micrometer;

import dev.taskshared.Interval;
import dev.taskshared.export.IntervalCheck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Records {@link Interval}s per operation name into Micrometer meters, tagged {@code operation}:
 *
 * <pre>
 * taskshared.operation.cpu        Timer                CPU time of each operation
 * taskshared.operation.run.queue  Timer                its run-queue wait (BPF mode)
 * taskshared.operation.switches   DistributionSummary  times scheduled in during it (BPF mode)
 * taskshared.operation.invalid    Counter              intervals left out (see IntervalCheck)
 * </pre>
 *
 * Percentiles and histograms are configured the Micrometer way, with a {@code MeterFilter}.
 * Thread-safe; a record is a map lookup plus the meters' own cost (allocation-free once the
 * operation's meters exist). Keep the set of operation names small: each is a tag value.
 */
public final class OperationMetrics {
    static final String PREFIX = "taskshared.operation.";

    private final MeterRegistry registry;
    private final Tags tags;
    private final ConcurrentHashMap<String, Meters> byName = new ConcurrentHashMap<>();

    private record Meters(Timer cpu, Timer runQueue, DistributionSummary switches, Counter invalid) {
    }

    public OperationMetrics(MeterRegistry registry) {
        this(registry, Tags.empty());
    }

    /** Adds {@code tags} to every meter. */
    public OperationMetrics(MeterRegistry registry, Iterable<Tag> tags) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.tags = Tags.of(tags);
    }

    /**
     * Records a stopped {@code interval} as one {@code operation}: its CPU time always, its
     * run-queue wait and switches when they are exact for one operation (BPF mode). An interval
     * that is not valid or not consistent ({@link IntervalCheck#consistent}) is only counted in
     * {@code taskshared.operation.invalid}.
     */
    public void record(String operation, Interval interval) {
        Meters m = byName.get(operation);
        if (m == null) {
            m = byName.computeIfAbsent(operation, this::meters);
        }
        if (!IntervalCheck.consistent(interval)) {
            m.invalid.increment();
            return;
        }
        m.cpu.record(interval.cpuNanos(), TimeUnit.NANOSECONDS);
        if (IntervalCheck.exactWaits(interval)) {
            m.runQueue.record(interval.runDelayNanos(), TimeUnit.NANOSECONDS);
            m.switches.record(interval.switches());
        }
    }

    private Meters meters(String operation) {
        Tags t = tags.and("operation", operation);
        return new Meters(
                Timer.builder(PREFIX + "cpu").description("CPU time of each operation").tags(t).register(registry),
                Timer.builder(PREFIX + "run.queue").description("Time each operation's thread waited on a run queue for a CPU")
                        .tags(t).register(registry),
                DistributionSummary.builder(PREFIX + "switches").description("Times the thread was scheduled in during each operation")
                        .baseUnit("switches").tags(t).register(registry),
                Counter.builder(PREFIX + "invalid").description("Operations whose interval was not valid or not consistent,"
                        + " left out of the other meters").tags(t).register(registry));
    }
}
