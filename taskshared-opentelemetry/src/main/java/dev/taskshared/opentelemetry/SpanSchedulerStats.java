package dev.taskshared.opentelemetry;

import dev.taskshared.Interval;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.export.IntervalCheck;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Records what a span's thread did while the span ran as span attributes: CPU time, off-CPU time,
 * run-queue wait and switches. For spans that start and end on one platform thread:
 *
 * <pre>{@code
 * Span span = tracer.spanBuilder("get").startSpan();
 * try (Scope scope = span.makeCurrent(); var sched = spanStats.start(span)) {
 *     handle(request);
 * } finally {
 *     span.end();   // after sched closed: the attributes are set
 * }
 * }</pre>
 *
 * <p>Never a wrong number: nothing is recorded for a span measured on a virtual thread (its
 * carrier runs other virtual threads meanwhile), closed on another thread than it started on, or
 * whose interval is not consistent ({@link IntervalCheck#consistent}); the run-queue wait and
 * switches are recorded only in BPF mode ({@link IntervalCheck#exactWaits}); nothing is measured
 * for a span that is not recording. Cost: a thread-local lookup and an {@link Interval} start and
 * stop; measurements are pooled per thread, so nothing is allocated once warm. Thread-safe.
 */
public final class SpanSchedulerStats {
    /** CPU time of the span's thread during the span, in nanoseconds. */
    public static final AttributeKey<Long> CPU_TIME = AttributeKey.longKey("taskshared.thread.cpu_time_ns");
    /** Time the span's thread was not running during the span, in nanoseconds. */
    public static final AttributeKey<Long> OFF_CPU_TIME = AttributeKey.longKey("taskshared.thread.off_cpu_time_ns");
    /** Time the span's thread waited on a run queue during the span, in nanoseconds (BPF mode). */
    public static final AttributeKey<Long> RUN_QUEUE_DELAY = AttributeKey.longKey("taskshared.thread.run_queue_delay_ns");
    /** Times the span's thread was scheduled in during the span (BPF mode). */
    public static final AttributeKey<Long> SWITCHES = AttributeKey.longKey("taskshared.thread.switches");
    /** Of which voluntary: it blocked or slept (BPF mode). */
    public static final AttributeKey<Long> VOLUNTARY_SWITCHES = AttributeKey.longKey("taskshared.thread.voluntary_switches");
    /** Of which involuntary: it was preempted (BPF mode). */
    public static final AttributeKey<Long> INVOLUNTARY_SWITCHES = AttributeKey.longKey("taskshared.thread.involuntary_switches");

    /**
     * Set instead of the numbers when they cannot be trusted: why (for example, the publisher
     * missed a context switch inside the span). See {@code Interval.invalidReason()}.
     */
    public static final AttributeKey<String> INVALID_REASON = AttributeKey.stringKey("taskshared.thread.invalid_reason");

    private static final Measurement NOTHING = new Measurement(null, null);

    private final TaskShared taskShared;
    private final ThreadLocal<ArrayDeque<Measurement>> pools = ThreadLocal.withInitial(ArrayDeque::new);

    /** Measures spans on threads of {@code taskShared} (usually {@code TaskShared.get()}). */
    public SpanSchedulerStats(TaskShared taskShared) {
        this.taskShared = Objects.requireNonNull(taskShared, "taskShared");
    }

    /**
     * Starts measuring the calling thread for {@code span}; closing the result records the
     * attributes on the span (before it ends). Nothing is measured on a virtual thread or for a
     * span that is not recording.
     */
    public Measurement start(Span span) {
        Thread current = Thread.currentThread();
        if (current.isVirtual() || !span.isRecording()) {
            return NOTHING;
        }
        ThreadStats me = taskShared.currentThread();
        ArrayDeque<Measurement> pool = pools.get();
        Measurement m = pool.pollFirst();
        if (m == null || m.interval.stats() != me) { // a new handle after a release: a new Interval
            m = new Measurement(pool, me.newInterval());
        }
        m.span = span;
        m.owner = current;
        m.interval.start();
        return m;
    }

    /** One span's measurement; close it on the thread that started it, before the span ends. */
    public static final class Measurement implements AutoCloseable {
        private final ArrayDeque<Measurement> pool;
        private final Interval interval;
        private Span span;
        private Thread owner;

        private Measurement(ArrayDeque<Measurement> pool, Interval interval) {
            this.pool = pool;
            this.interval = interval;
        }

        /** Stops the measurement and sets the span's attributes, if the numbers are right. Close it once: it is then reused. */
        @Override
        public void close() {
            Span s = span;
            if (s == null || Thread.currentThread() != owner) {
                return; // nothing measured, already closed, or another thread: the interval is not this one's
            }
            interval.stop();
            span = null;
            if (IntervalCheck.consistent(interval)) {
                s.setAttribute(CPU_TIME, interval.cpuNanos());
                s.setAttribute(OFF_CPU_TIME, interval.offCpuNanos());
                if (IntervalCheck.exactWaits(interval)) {
                    s.setAttribute(RUN_QUEUE_DELAY, interval.runDelayNanos());
                    s.setAttribute(SWITCHES, interval.switches());
                    s.setAttribute(VOLUNTARY_SWITCHES, interval.voluntarySwitches());
                    s.setAttribute(INVOLUNTARY_SWITCHES, interval.involuntarySwitches());
                }
            } else {
                s.setAttribute(INVALID_REASON, interval.valid() ? "numbers outside their bounds" : interval.invalidReason());
            }
            pool.addFirst(this);
        }
    }
}
