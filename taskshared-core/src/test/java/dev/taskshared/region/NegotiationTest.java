package dev.taskshared.region;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reader and writer of different versions use the features both have, and nothing else. */
class NegotiationTest {
    private static final long ALL = SlotFeature.allKnown();

    @Test
    void sameVersionUsesTheWritersFeatures() {
        long writer = SlotFeature.maskOf(SlotFeature.SUM_EXEC_RUNTIME, SlotFeature.RUN_DELAY, SlotFeature.PCOUNT);
        assertThat(Negotiation.usable(new long[] {ALL}, SlotLayout.STRUCT_SIZE, new long[] {writer}, SlotLayout.STRUCT_SIZE))
                .isEqualTo(writer);
    }

    @Test
    void newerWriterWithUnknownFeaturesAndLargerStruct() {
        long unknownBit = 1L << 40; // a feature of a future version
        long writer = ALL | unknownBit;
        long usable = Negotiation.usable(new long[] {ALL}, SlotLayout.STRUCT_SIZE, new long[] {writer | RegionHeader.MORE_WORDS, 0xff}, 128);
        assertThat(usable).isEqualTo(ALL);
    }

    @Test
    void olderWriterWithShorterStructLosesTheFieldsItLacks() {
        // An imagined version 1.0 whose slot ended after off_cpu_ns (48 bytes) but claimed everything.
        long usable = Negotiation.usable(new long[] {ALL}, SlotLayout.STRUCT_SIZE, new long[] {ALL}, 48);
        assertThat(usable).isEqualTo(SlotFeature.maskOf(SlotFeature.SUM_EXEC_RUNTIME, SlotFeature.ON_CPU_SINCE, SlotFeature.RUN_DELAY,
                SlotFeature.PCOUNT, SlotFeature.OFF_CPU));
    }

    @Test
    void olderReaderIgnoresWhatItDoesNotKnow() {
        long oldReader = SlotFeature.maskOf(SlotFeature.SUM_EXEC_RUNTIME, SlotFeature.RUN_DELAY, SlotFeature.PCOUNT, SlotFeature.OFF_CPU);
        long usable = Negotiation.usable(new long[] {oldReader}, 48, new long[] {ALL}, SlotLayout.STRUCT_SIZE);
        assertThat(usable).isEqualTo(oldReader);
    }
}
