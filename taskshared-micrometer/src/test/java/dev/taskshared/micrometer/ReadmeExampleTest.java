package dev.taskshared.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Interval;
import dev.taskshared.TaskShared;
import dev.taskshared.testing.Work;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The README's Micrometer example, as written there (between the markers), runs. */
class ReadmeExampleTest {

    private static void handle(Object request) {
        Work.burnCpu(1_000_000L);
    }

    @Test
    void readmeExampleRuns() throws Exception {
        Object request = "request";
        // README:micrometer:begin
        MeterRegistry registry = new SimpleMeterRegistry();          // or your Prometheus registry
        TaskSharedThreadMetrics threads = new TaskSharedThreadMetrics(TaskShared.get());
        threads.bindTo(registry);                                    // per thread group, refreshed every second

        OperationMetrics operations = new OperationMetrics(registry);
        Interval op = TaskShared.current().newInterval();            // one per thread, reused
        op.start();
        handle(request);
        op.stop();
        operations.record("get", op);                                // CPU and run-queue wait of "get"
        // README:micrometer:end

        // timed, or (0.5-3 % of intervals on this VM: a switch the publisher missed) counted as invalid
        assertThat(registry.get("taskshared.operation.cpu").tag("operation", "get").timer().count()
                + (op.valid() ? 0 : registry.get("taskshared.operation.invalid").tag("operation", "get").counter().count()))
                .isEqualTo(1.0);
        threads.refresh(); // the refresher would within a second: this thread registered after bindTo
        assertThat(registry.get("taskshared.threads.cpu.time").meters()).isNotEmpty();
        threads.close();
        TaskShared.current().release();
    }
}
