package dev.taskshared.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelCountersTest} on the map-pages data path, forced: the same exact counters, except
 * user and system time, which this path does not publish (the negotiation says so and reads throw).
 */
class MapPagesKernelCountersTest extends KernelCountersTest {
    @Override
    BpfPublisher.DataPath dataPath() {
        return BpfPublisher.DataPath.MAP_PAGES;
    }

    @Override
    @Test
    void userAndSystemTimeAreTheKernels() {
        try (TaskShared ts = TaskShared.builder().mode(Mode.BPF).dataPath(dataPath() == null ? null : dataPath().jsonName()).build()) {
            assertThat(ts.dataPath()).isEqualTo("map_pages");
            assertThat(ts.supports(Feature.UTIME)).isFalse();
            assertThat(ts.supports(Feature.STIME)).isFalse();
            assertThat(ts.supports(Feature.NVCSW)).isTrue();
        }
    }
}
