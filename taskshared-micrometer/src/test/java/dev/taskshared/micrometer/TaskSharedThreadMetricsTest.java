package dev.taskshared.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Interval;
import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Micrometer meters against the kernel's accounting. Tolerances: a group's CPU time and
 * run-queue delay within the sum of its blocked threads' /proc/&lt;tid&gt;/schedstat ± (1% + 2 ms)
 * per thread (BPF mode); per-operation CPU exactly the Interval's; counters never lower after the
 * group's threads die.
 */
class TaskSharedThreadMetricsTest {

    /** {@code n} threads named {@code prefix-i} that register, burn CPU and block until released. */
    private static final class Pool implements AutoCloseable {
        final List<Thread> threads = new ArrayList<>();
        final AtomicLongArray tids;
        final CountDownLatch ready;
        final CountDownLatch go = new CountDownLatch(1);

        Pool(TaskShared ts, String prefix, int n, long burnNanos) throws InterruptedException {
            tids = new AtomicLongArray(n);
            ready = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                int index = i;
                threads.add(Thread.ofPlatform().name(prefix + "-" + i).start(() -> {
                    tids.set(index, ts.currentThread().tid());
                    Work.burnCpu(burnNanos);
                    ready.countDown();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            ready.await();
        }

        long[] kernelSums() {
            long[] sum = new long[2];
            for (int i = 0; i < tids.length(); i++) {
                long[] k = Kernel.schedstat(tids.get(i));
                sum[0] += k[0];
                sum[1] += k[1];
            }
            return sum;
        }

        @Override
        public void close() throws InterruptedException {
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    private static double counter(SimpleMeterRegistry r, String name, String group) {
        return r.get(name).tag(TaskSharedThreadMetrics.GROUP_TAG, group).functionCounter().count();
    }

    @Test
    void perGroupCountersMatchTheKernelAndNeverGoBack() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TaskShared ts = Privileged.bpfTaskShared();
             TaskSharedThreadMetrics metrics = TaskSharedThreadMetrics.builder(ts).tags(Tags.of("app", "test")).build()) {
            long[] kernel;
            double cpuBlocked;
            double runQueueBlocked;
            try (Pool pool = new Pool(ts, "mm-pool", 3, 20_000_000L)) {
                metrics.bindTo(registry);
                kernel = pool.kernelSums();
                cpuBlocked = counter(registry, "taskshared.threads.cpu.time", "mm-pool");
                runQueueBlocked = counter(registry, "taskshared.threads.run.queue.delay", "mm-pool");
                assertThat(registry.get("taskshared.threads.live").tag(TaskSharedThreadMetrics.GROUP_TAG, "mm-pool").gauge().value())
                        .isEqualTo(3.0);
            }
            double tolerance = 3 * (kernel[0] / 100.0 + 2_000_000) / 1e9;
            assertThat(cpuBlocked).as("seconds, vs schedstat").isBetween(kernel[0] / 1e9 - tolerance, kernel[0] / 1e9 + tolerance);
            double rqTolerance = 3 * (kernel[1] / 100.0 + 2_000_000) / 1e9;
            assertThat(runQueueBlocked).isBetween(kernel[1] / 1e9 - rqTolerance, kernel[1] / 1e9 + rqTolerance);
            // one series per group, never per thread
            assertThat(registry.find("taskshared.threads.cpu.time").tag(TaskSharedThreadMetrics.GROUP_TAG, "mm-pool").meters())
                    .hasSize(1);
            assertThat(registry.get("taskshared.threads.cpu.time").tag("app", "test").meters()).isNotEmpty();
            assertThat(registry.get("taskshared.threads.context.switches").tag("type", "voluntary").functionCounters()).isNotEmpty();
            FunctionCounter migrations = registry.get("taskshared.threads.migrations")
                    .tag(TaskSharedThreadMetrics.GROUP_TAG, "mm-pool").functionCounter();
            assertThat(migrations.getId().getBaseUnit()).isEqualTo("migrations");
            assertThat(registry.get("taskshared.threads.cpu.time").functionCounter().getId().getBaseUnit()).isEqualTo("seconds");

            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the threads exited registered: their slots are freed by BPF exit events
            }
            metrics.refresh();
            assertThat(registry.get("taskshared.threads.live").tag(TaskSharedThreadMetrics.GROUP_TAG, "mm-pool").gauge().value())
                    .isZero();
            assertThat(counter(registry, "taskshared.threads.cpu.time", "mm-pool")).as("dead threads' CPU stays in the group")
                    .isGreaterThanOrEqualTo(cpuBlocked);
            assertThat(counter(registry, "taskshared.threads.run.queue.delay", "mm-pool")).isGreaterThanOrEqualTo(runQueueBlocked);
        }
    }

    @Test
    void samplingModeRegistersOnlyWhatItProvides() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build();
             TaskSharedThreadMetrics metrics = TaskSharedThreadMetrics.builder(ts).refreshInterval(Duration.ofMillis(20)).build();
             Pool pool = new Pool(ts, "sm-pool", 2, 5_000_000L)) {
            metrics.bindTo(registry);
            assertThat(registry.find("taskshared.threads.cpu.time").tag(TaskSharedThreadMetrics.GROUP_TAG, "sm-pool").functionCounter())
                    .isNotNull();
            assertThat(registry.find("taskshared.threads.off.cpu.time").meters()).isEmpty();
            assertThat(registry.find("taskshared.threads.migrations").meters()).isEmpty();
            // a group that appears later is registered by the refresher
            try (Pool later = new Pool(ts, "late-pool", 1, 1_000_000L)) {
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (registry.find("taskshared.threads.cpu.time").tag(TaskSharedThreadMetrics.GROUP_TAG, "late-pool").meters().isEmpty()
                        && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(registry.find("taskshared.threads.cpu.time").tag(TaskSharedThreadMetrics.GROUP_TAG, "late-pool").meters())
                        .hasSize(1);
            }
        }
    }

    @Test
    void operationMetricsRecordTheIntervalsNumbers() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TaskShared ts = TaskShared.builder().build()) {
            OperationMetrics ops = new OperationMetrics(registry);
            Interval op = ts.currentThread().newInterval();
            long cpu = 0;
            long runQueue = 0;
            long switches = 0;
            int valid = 0;
            int invalid = 0; // the publisher misses a switch in 0.5-3 % of intervals on this VM: counted, not timed
            for (int i = 0; valid < 3 && i < 10; i++) {
                op.start();
                Work.burnCpu(2_000_000L);
                Work.sleep(1);
                op.stop();
                ops.record("get", op);
                if (!op.valid()) {
                    invalid++;
                    continue;
                }
                valid++;
                cpu += op.cpuNanos();
                runQueue += op.runDelayNanos();
                switches += op.switches();
            }
            ops.record("get", ts.currentThread().newInterval().start()); // never stopped
            Timer t = registry.get("taskshared.operation.cpu").tag("operation", "get").timer();
            assertThat(t.count()).isEqualTo(3);
            assertThat(t.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(cpu);
            assertThat(registry.get("taskshared.operation.invalid").tag("operation", "get").counter().count()).isEqualTo(invalid + 1);
            Timer rq = registry.get("taskshared.operation.run.queue").tag("operation", "get").timer();
            if (ts.mode() == Mode.BPF) {
                assertThat(rq.count()).isEqualTo(3);
                assertThat(rq.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(runQueue);
                assertThat(registry.get("taskshared.operation.switches").summary().totalAmount()).isEqualTo(switches);
            } else {
                assertThat(rq.count()).as("a sampler's waits are not one operation's").isZero();
            }
        }
    }

    @Test
    void prometheusScrapeNamesUnitsAndTypes() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (TaskShared ts = TaskShared.builder().build();
             TaskSharedThreadMetrics metrics = new TaskSharedThreadMetrics(ts);
             Pool pool = new Pool(ts, "prom-worker", 2, 10_000_000L)) {
            metrics.bindTo(registry);
            OperationMetrics ops = new OperationMetrics(registry);
            Interval op = ts.currentThread().newInterval();
            op.start();
            Work.burnCpu(1_000_000L);
            op.stop();
            ops.record("put", op);
            String text = registry.scrape();
            assertThat(text).contains("# TYPE taskshared_threads_cpu_time_seconds_total counter",
                    "# TYPE taskshared_threads_run_queue_delay_seconds_total counter",
                    "# TYPE taskshared_threads_context_switches_total counter",
                    "# TYPE taskshared_threads_live_threads gauge",
                    "taskshared_threads_context_switches_total{thread_group=\"prom-worker\",type=\"involuntary\"}",
                    "# TYPE taskshared_operation_cpu_seconds summary",
                    "taskshared_operation_cpu_seconds_count{operation=\"put\"} 1");
            if (ts.mode() == Mode.BPF) {
                assertThat(text).contains("# TYPE taskshared_threads_off_cpu_time_seconds_total counter",
                        "# TYPE taskshared_threads_migrations_total counter");
            }
            Matcher m = Pattern.compile("taskshared_threads_cpu_time_seconds_total\\{thread_group=\"prom-worker\"} (\\S+)").matcher(text);
            assertThat(m.find()).as(text).isTrue();
            assertThat(Double.parseDouble(m.group(1))).as("two threads burnt 10 ms each").isGreaterThanOrEqualTo(0.018);
            assertThat(text).doesNotContain("prom-worker-0", "prom-worker-1");
            assertThat(registry.getMeters().stream().map(Meter::getId).filter(id -> id.getName().startsWith("taskshared.threads.cpu")))
                    .allMatch(id -> id.getTag(TaskSharedThreadMetrics.GROUP_TAG) != null);
        }
    }
}
