package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.region.PublisherKind;
import dev.taskshared.region.SlotFeature;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The public Feature and Mode enums map one to one onto the ABI values declared in the region package. */
class AbiMappingTest {

    @Test
    void everyFeatureIsOneSlotFeatureWithItsBit() {
        assertThat(Arrays.stream(Feature.values()).map(Enum::name))
                .as("a feature of the ABI that the API does not expose, or the reverse")
                .containsExactlyElementsOf(Arrays.stream(SlotFeature.values()).map(Enum::name).toList());
        for (Feature f : Feature.values()) {
            SlotFeature abi = SlotFeature.valueOf(f.name());
            assertThat(f.bit()).as(f.name()).isEqualTo(abi.bit());
            assertThat(f.mask()).as(f.name()).isEqualTo(1L << abi.bit());
        }
        assertThat(Feature.allKnown()).isEqualTo(SlotFeature.allKnown()).isEqualTo((1L << SlotFeature.values().length) - 1);
    }

    @Test
    void everyModeIsOnePublisherKind() {
        assertThat(Arrays.stream(Mode.values()).map(Enum::name))
                .containsExactlyInAnyOrderElementsOf(Arrays.stream(PublisherKind.values()).map(Enum::name).toList());
        for (PublisherKind k : PublisherKind.values()) {
            assertThat(Mode.of(k).name()).isEqualTo(k.name());
            assertThat(Mode.of(k).code()).isEqualTo(k.code());
            assertThat(Mode.ofCode(k.code())).isEqualTo(Mode.of(k));
        }
        assertThat(Mode.ofCode(99)).isNull();
    }
}
