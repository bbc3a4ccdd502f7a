package dev.taskshared.region;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The slot is ABI: other processes and the BPF program use these offsets. */
class SlotLayoutTest {

    @Test
    void slotIs128BytesAnd32FitAPage() {
        assertThat(SlotLayout.LAYOUT.byteSize()).isEqualTo(128);
        assertThat(SlotLayout.SLOT_SIZE).isEqualTo(128);
        assertThat(SlotLayout.SLOTS_PER_PAGE).isEqualTo(32);
        assertThat(SlotLayout.STRUCT_SIZE).isEqualTo(124);
    }

    @Test
    void everyOffsetIsPinned() {
        assertThat(SlotLayout.SEQ).isEqualTo(0);
        assertThat(SlotLayout.TID).isEqualTo(4);
        assertThat(SlotLayout.SUM_EXEC_RUNTIME_NS).isEqualTo(8);
        assertThat(SlotLayout.ON_CPU_SINCE_NS).isEqualTo(16);
        assertThat(SlotLayout.RUN_DELAY_NS).isEqualTo(24);
        assertThat(SlotLayout.PCOUNT).isEqualTo(32);
        assertThat(SlotLayout.OFF_CPU_NS).isEqualTo(40);
        assertThat(SlotLayout.NVCSW).isEqualTo(48);
        assertThat(SlotLayout.NIVCSW).isEqualTo(56);
        assertThat(SlotLayout.MIGRATIONS).isEqualTo(64);
        assertThat(SlotLayout.CPU).isEqualTo(72);
        assertThat(SlotLayout.GENERATION).isEqualTo(76);
        assertThat(SlotLayout.OFF_CPU_ORIGIN_NS).isEqualTo(80);
        assertThat(SlotLayout.RUNNABLE_SINCE_NS).isEqualTo(88);
        assertThat(SlotLayout.REGISTERED_AT_NS).isEqualTo(96);
        assertThat(SlotLayout.UTIME_NS).isEqualTo(104);
        assertThat(SlotLayout.STIME_NS).isEqualTo(112);
        assertThat(SlotLayout.STATE).isEqualTo(120);
    }

    @Test
    void headerOffsetsArePinned() {
        assertThat(RegionHeader.OFF_MAGIC).isEqualTo(0);
        assertThat(RegionHeader.OFF_HEADER_SIZE).isEqualTo(12);
        assertThat(RegionHeader.OFF_SLOT_SIZE).isEqualTo(16);
        assertThat(RegionHeader.OFF_STRUCT_SIZE).isEqualTo(20);
        assertThat(RegionHeader.OFF_PUBLISHER_KIND).isEqualTo(28);
        assertThat(RegionHeader.OFF_OWNER_PID).isEqualTo(32);
        assertThat(RegionHeader.OFF_PAGE_COUNT).isEqualTo(36);
        assertThat(RegionHeader.OFF_FEATURE_WORDS).isEqualTo(56);
        assertThat(RegionHeader.OFF_FEATURES).isEqualTo(64);
        assertThat(RegionHeader.OFF_OWNER_START_TICKS).isEqualTo(120);
        assertThat(RegionHeader.OFF_PAGE_TABLE).isEqualTo(128);
        assertThat(RegionHeader.MAX_PAGES).isEqualTo(496);
    }
}
