package dev.taskshared.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.TaskShared;
import dev.taskshared.testing.Work;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's OpenTelemetry example, as written there (between the markers), runs. */
class ReadmeExampleTest {
    @RegisterExtension
    static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

    private static void handle(Object request) {
        Work.burnCpu(1_000_000L);
    }

    @Test
    void readmeExampleRuns() {
        OpenTelemetry otel = OTEL.getOpenTelemetry();
        Object request = "request";
        // README:opentelemetry:begin
        TaskSharedMetrics metrics = TaskSharedMetrics.register(otel, TaskShared.get());  // per thread group
        SpanSchedulerStats spanStats = new SpanSchedulerStats(TaskShared.get());

        Tracer tracer = otel.getTracer("my-service");
        Span span = tracer.spanBuilder("get").startSpan();
        try (Scope scope = span.makeCurrent(); var sched = spanStats.start(span)) {
            handle(request);
        } finally {
            span.end();                                   // carries taskshared.thread.cpu_time_ns, ...
        }
        // README:opentelemetry:end

        assertThat(OTEL.getSpans().getFirst().getAttributes().get(SpanSchedulerStats.CPU_TIME)).isPositive();
        assertThat(OTEL.getMetrics()).anyMatch(m -> m.getName().equals("taskshared.thread.cpu.time"));
        metrics.close();
        TaskShared.current().release();
    }
}
