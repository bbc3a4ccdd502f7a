package dev.taskshared.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.sys.Libc;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * The OpenTelemetry instruments and span attributes, read back through the SDK's in-memory
 * reader and exporter. Tolerances: a group's CPU time and run-queue delay within the sum of its
 * blocked threads' /proc/&lt;tid&gt;/schedstat ± (1% + 2 ms) per thread (BPF mode); a span's CPU time
 * within 1 ms of CLOCK_THREAD_CPUTIME_ID read around it; cpu + off-cpu = the interval's wall.
 */
class OpenTelemetryTest {

    private static TaskShared bpfInstance() {
        TaskShared ts = TaskShared.builder().build();
        if (ts.mode() != Mode.BPF) {
            String why = ts.modeDescription();
            ts.close();
            Privileged.require("bpf", false, why);
        }
        return ts;
    }

    private static MetricData metric(Collection<MetricData> all, String name) {
        return all.stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name + " in " + all.stream().map(MetricData::getName).toList()));
    }

    private static double doubleOf(MetricData m, Attributes attributes) {
        return m.getDoubleSumData().getPoints().stream().filter(p -> p.getAttributes().equals(attributes))
                .mapToDouble(DoublePointData::getValue).findFirst().orElseThrow();
    }

    private static long longOf(MetricData m, Attributes attributes) {
        return m.getLongSumData().getPoints().stream().filter(p -> p.getAttributes().equals(attributes))
                .mapToLong(LongPointData::getValue).findFirst().orElseThrow();
    }

    @Test
    void groupCountersMatchTheKernelAndSurviveTheirThreads() throws Exception {
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        try (SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build();
             TaskShared ts = bpfInstance();
             TaskSharedMetrics metrics = TaskSharedMetrics.register(provider.get(TaskSharedMetrics.SCOPE), ts,
                     dev.taskshared.export.ThreadGrouping.stripTrailingNumber(), 16)) {
            int n = 3;
            AtomicLongArray tids = new AtomicLongArray(n);
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                threads.add(Thread.ofPlatform().name("otel-pool-" + i).start(() -> {
                    tids.set(index, ts.currentThread().tid());
                    Work.burnCpu(20_000_000L);
                    ready.countDown();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            ready.await();
            Collection<MetricData> blocked;
            long[] kernel = new long[2];
            try {
                blocked = reader.collectAllMetrics();
                for (int i = 0; i < n; i++) {
                    long[] k = Kernel.schedstat(tids.get(i));
                    kernel[0] += k[0];
                    kernel[1] += k[1];
                }
            } finally {
                go.countDown();
                for (Thread t : threads) {
                    t.join();
                }
            }
            Attributes group = Attributes.of(TaskSharedMetrics.GROUP, "otel-pool");
            MetricData cpu = metric(blocked, "taskshared.thread.cpu.time");
            assertThat(cpu.getUnit()).isEqualTo("s");
            assertThat(cpu.getType()).isEqualTo(MetricDataType.DOUBLE_SUM);
            assertThat(cpu.getDoubleSumData().isMonotonic()).isTrue();
            assertThat(cpu.getInstrumentationScopeInfo().getName()).isEqualTo("dev.taskshared");
            double tol = n * (kernel[0] / 100.0 + 2_000_000) / 1e9;
            assertThat(doubleOf(cpu, group)).isBetween(kernel[0] / 1e9 - tol, kernel[0] / 1e9 + tol);
            double rqTol = n * (kernel[1] / 100.0 + 2_000_000) / 1e9;
            assertThat(doubleOf(metric(blocked, "taskshared.thread.run_queue.delay"), group))
                    .isBetween(kernel[1] / 1e9 - rqTol, kernel[1] / 1e9 + rqTol);
            assertThat(doubleOf(metric(blocked, "taskshared.thread.off_cpu.time"), group)).isPositive();
            MetricData switches = metric(blocked, "taskshared.thread.context_switches");
            assertThat(switches.getUnit()).isEqualTo("{context_switch}");
            assertThat(longOf(switches, group.toBuilder().put(TaskSharedMetrics.SWITCH_TYPE, "voluntary").build()))
                    .as("each blocked once at least").isGreaterThanOrEqualTo(n);
            assertThat(metric(blocked, "taskshared.thread.migrations").getUnit()).isEqualTo("{migration}");
            MetricData count = metric(blocked, "taskshared.thread.count");
            assertThat(count.getLongSumData().isMonotonic()).isFalse();
            assertThat(longOf(count, group)).isEqualTo(n);
            assertThat(cpu.getDoubleSumData().getPoints()).as("one series per group")
                    .allMatch(p -> !p.getAttributes().get(TaskSharedMetrics.GROUP).startsWith("otel-pool-"));

            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Collection<MetricData> gone = reader.collectAllMetrics();
            assertThat(longOf(metric(gone, "taskshared.thread.count"), group)).isZero();
            assertThat(doubleOf(metric(gone, "taskshared.thread.cpu.time"), group)).as("dead threads' CPU stays")
                    .isGreaterThanOrEqualTo(doubleOf(cpu, group));
        }
    }

    @Test
    void spanAttributesCarryTheThreadsNumbers() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
             TaskShared ts = TaskShared.builder().build()) {
            Tracer tracer = provider.get("test");
            SpanSchedulerStats spanStats = new SpanSchedulerStats(ts);
            long clock;
            spanStats.start(tracer.spanBuilder("warm-up").startSpan()).close(); // registers the thread, loads classes
            // A span whose interval is invalid (the publisher missed a switch: 0.5-3 % of intervals
            // on this VM) carries the reason and no numbers; the test wants three spans with numbers.
            int withNumbers = 0;
            int invalid = 0;
            for (int i = 0; withNumbers < 3 && i < 10; i++) {
                Span span = tracer.spanBuilder("op-" + i).startSpan();
                long c0 = Libc.threadCpuTimeNanos();
                SpanSchedulerStats.Measurement sched = spanStats.start(span);
                Work.burnCpu(10_000_000L);
                Work.sleep(3);
                sched.close();
                clock = Libc.threadCpuTimeNanos() - c0; // the CPU clock just outside the measurement
                span.end();
                SpanData d = exporter.getFinishedSpanItems().getLast();
                if (d.getAttributes().get(SpanSchedulerStats.CPU_TIME) == null) {
                    assertThat(d.getAttributes().get(SpanSchedulerStats.INVALID_REASON)).as("a span without numbers says why").isNotBlank();
                    assertThat(d.getAttributes().get(SpanSchedulerStats.OFF_CPU_TIME)).isNull();
                    invalid++;
                    continue;
                }
                withNumbers++;
                long cpu = d.getAttributes().get(SpanSchedulerStats.CPU_TIME);
                long off = d.getAttributes().get(SpanSchedulerStats.OFF_CPU_TIME);
                assertThat(d.getAttributes().get(SpanSchedulerStats.INVALID_REASON)).isNull();
                assertThat(cpu).isBetween(clock - 1_000_000L, clock + 1_000_000L);
                assertThat(off).as("the 3 ms sleep").isGreaterThanOrEqualTo(2_500_000L);
                assertThat(cpu + off).as("within the span").isLessThanOrEqualTo(d.getEndEpochNanos() - d.getStartEpochNanos() + 1_000_000L);
                if (ts.mode() == Mode.BPF) {
                    assertThat(d.getAttributes().get(SpanSchedulerStats.VOLUNTARY_SWITCHES)).isGreaterThanOrEqualTo(1);
                    assertThat(d.getAttributes().get(SpanSchedulerStats.RUN_QUEUE_DELAY)).isBetween(0L, off);
                    assertThat(d.getAttributes().get(SpanSchedulerStats.SWITCHES)).isGreaterThanOrEqualTo(1);
                } else {
                    assertThat(d.getAttributes().get(SpanSchedulerStats.RUN_QUEUE_DELAY)).isNull();
                }
            }
            assertThat(withNumbers).as("spans with numbers (%d without)", invalid).isEqualTo(3);
        }
    }

    @Test
    void nothingIsRecordedWhenTheNumbersWouldBeWrong() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
             TaskShared ts = TaskShared.builder().build()) {
            Tracer tracer = provider.get("test");
            SpanSchedulerStats spanStats = new SpanSchedulerStats(ts);
            // a virtual thread: its carrier runs others meanwhile
            Thread vt = Thread.ofVirtual().start(() -> {
                Span span = tracer.spanBuilder("virtual").startSpan();
                try (var sched = spanStats.start(span)) {
                    Work.burnCpu(1_000_000L);
                } finally {
                    span.end();
                }
            });
            vt.join();
            // started on one thread, closed on another
            Span span = tracer.spanBuilder("moved").startSpan();
            SpanSchedulerStats.Measurement m = spanStats.start(span);
            Thread other = Thread.ofPlatform().start(m::close);
            other.join();
            span.end();
            assertThat(exporter.getFinishedSpanItems()).hasSize(2)
                    .allSatisfy(d -> assertThat(d.getAttributes().get(SpanSchedulerStats.CPU_TIME)).as(d.getName()).isNull());
        }
    }
}
