package dev.taskshared.bench;

import dev.taskshared.Interval;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.jfr.OperationEvent;
import dev.taskshared.jfr.TaskSharedEvents;
import dev.taskshared.micrometer.OperationMetrics;
import dev.taskshared.opentelemetry.SpanSchedulerStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of each integration on top of a bare Interval start + stop, side by side in one run
 * (each row forks its own JVM, so a recording or registry of one row does not touch another).
 * Not part of {@code taskshared bench} (its name does not end in Benchmark); run it with
 * {@code java -cp ... org.openjdk.jmh.Main IntegrationsBench -f 1 -wi 2 -i 3 -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IntegrationsBench {
    private ThreadStats me;
    private Interval interval;

    @Setup(Level.Trial)
    public void register() {
        me = TaskShared.current();
        interval = me.newInterval();
    }

    @TearDown(Level.Trial)
    public void release() {
        me.release();
    }

    /** A JFR recording with the operation event enabled, written to a temp file. */
    @State(Scope.Benchmark)
    public static class JfrOn {
        Recording recording;
        Path file;

        @Setup(Level.Trial)
        public void start() throws IOException {
            file = Files.createTempFile("taskshared-bench", ".jfr");
            recording = new Recording(TaskSharedEvents.settings(null));
            recording.setToDisk(true);
            recording.setDestination(file);
            recording.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            recording.stop();
            recording.close();
            Files.deleteIfExists(file);
        }
    }

    /** Micrometer's per-operation recorder on a SimpleMeterRegistry. */
    @State(Scope.Benchmark)
    public static class Micrometer {
        OperationMetrics metrics;

        @Setup(Level.Trial)
        public void start() {
            metrics = new OperationMetrics(new SimpleMeterRegistry());
        }
    }

    /** An SDK span that records (a processor that does nothing, no exporter), measured over and over. */
    @State(Scope.Thread)
    public static class Otel {
        SdkTracerProvider provider;
        Tracer tracer;
        Span span;
        SpanSchedulerStats stats;

        @Setup(Level.Trial)
        public void start() {
            // A processor that does nothing: without one the SDK hands out non-recording spans.
            provider = SdkTracerProvider.builder().addSpanProcessor(new SpanProcessor() {
                @Override
                public void onStart(Context parent, ReadWriteSpan span) {
                }

                @Override
                public boolean isStartRequired() {
                    return true;
                }

                @Override
                public void onEnd(ReadableSpan span) {
                }

                @Override
                public boolean isEndRequired() {
                    return true;
                }
            }).build();
            tracer = provider.get("bench");
            span = tracer.spanBuilder("op").startSpan();
            if (!span.isRecording()) {
                throw new IllegalStateException("the benchmark's span does not record: nothing would be measured");
            }
            stats = new SpanSchedulerStats(TaskShared.get());
        }

        @TearDown(Level.Trial)
        public void stop() {
            span.end();
            provider.close();
        }
    }

    /** The baseline: Interval start + stop. */
    @Benchmark
    public Interval interval_bare() {
        return interval.start().stop();
    }

    /** + OperationEvent.commit with no recording: must cost nothing measurable. */
    @Benchmark
    public Interval interval_jfr_disabled() {
        interval.start().stop();
        OperationEvent.commit("op", interval);
        return interval;
    }

    /** + OperationEvent.commit while a recording has it enabled (one event written). */
    @Benchmark
    public Interval interval_jfr_enabled(JfrOn jfr) {
        interval.start().stop();
        OperationEvent.commit("op", interval);
        return interval;
    }

    /** + OperationMetrics.record: a Timer (and in BPF mode a second Timer and a summary). */
    @Benchmark
    public Interval interval_micrometer(Micrometer m) {
        interval.start().stop();
        m.metrics.record("op", interval);
        return interval;
    }

    /** SpanSchedulerStats start + close on a recording span: its Interval and six attributes. */
    @Benchmark
    public Object otel_span_attributes(Otel o) {
        SpanSchedulerStats.Measurement m = o.stats.start(o.span);
        m.close();
        return m;
    }

    /** For scale: creating and ending one SDK span, without taskshared. */
    @Benchmark
    public Span otel_span_alone(Otel o) {
        Span s = o.tracer.spanBuilder("op").startSpan();
        s.end();
        return s;
    }
}
