package dev.taskshared.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.Feature;
import dev.taskshared.region.RegionFormatException;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The host info record's layout is ABI between the installer and every library on the host: its
 * offsets are pinned here; records of other versions (older, newer, incompatible) negotiate to
 * what both sides can read, or are refused with the reason.
 */
class HostInfoTest {
    private static final long ALL = Feature.allKnown();

    @Test
    void layoutIsPinned() {
        assertThat(HostInfo.OFF_MAGIC).isZero();
        assertThat(HostInfo.OFF_ABI_MAJOR).isEqualTo(8);
        assertThat(HostInfo.OFF_ABI_MINOR).isEqualTo(10);
        assertThat(HostInfo.OFF_RECORD_SIZE).isEqualTo(12);
        assertThat(HostInfo.OFF_SLOT_SIZE).isEqualTo(16);
        assertThat(HostInfo.OFF_STRUCT_SIZE).isEqualTo(20);
        assertThat(HostInfo.OFF_TASK_RECORD_SIZE).isEqualTo(24);
        assertThat(HostInfo.OFF_FEATURE_WORDS).isEqualTo(28);
        assertThat(HostInfo.OFF_FEATURES).isEqualTo(32);
        assertThat(HostInfo.OFF_HOST_FLAGS).isEqualTo(64);
        assertThat(HostInfo.OFF_INSTALLED_AT_NS).isEqualTo(72);
        assertThat(HostInfo.OFF_VERSION).isEqualTo(80);
        assertThat(HostInfo.OFF_PROGRAMS).isEqualTo(128);
        assertThat(HostInfo.OFF_GROUP_GID).isEqualTo(152);
        assertThat(HostInfo.RECORD_SIZE).isEqualTo(160);
        assertThat(HostInfo.RECORD_SIZE).isLessThanOrEqualTo(HostInfo.VALUE_SIZE);
        // "TSKSHOST" in memory order
        assertThat(new String(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(HostInfo.MAGIC).array(),
                java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("TSKSHOST");
    }

    @Test
    void roundTripOfThisVersion() {
        HostInfo.Content c = HostInfo.current(ALL, HostInfo.FLAG_SEED, "1.2.3", "0123456789abcdef", 995);
        HostInfo.Content back = read(c);
        assertThat(back.abi()).isEqualTo(RegionHeader.ABI_MAJOR + "." + RegionHeader.ABI_MINOR);
        assertThat(back.recordSize()).isEqualTo(HostInfo.RECORD_SIZE);
        assertThat(back.slotSize()).isEqualTo(SlotLayout.SLOT_SIZE);
        assertThat(back.structSize()).isEqualTo(SlotLayout.STRUCT_SIZE);
        assertThat(back.features()).containsExactly(ALL);
        assertThat(back.hasSeed()).isTrue();
        assertThat(back.version()).isEqualTo("1.2.3");
        assertThat(back.programs()).isEqualTo("0123456789abcdef");
        assertThat(back.groupGid()).isEqualTo(995);
        assertThat(back.installedAtEpochNanos()).isEqualTo(c.installedAtEpochNanos());
        assertThat(back.sameInstallAs(c)).isTrue();
        assertThat(HostInfo.negotiate(back)).isEqualTo(ALL);
    }

    @Test
    void olderPublisherWithoutUtimeAndStimeGivesTheRestOnly() {
        // ABI 1.0: the slot ended after registered_at_ns (104 bytes) and there was no utime/stime.
        long older = ALL & ~Feature.maskOf(Feature.UTIME, Feature.STIME);
        HostInfo.Content c = new HostInfo.Content(1, 0, HostInfo.RECORD_SIZE, SlotLayout.SLOT_SIZE, 104, 32, new long[] {older},
                HostInfo.FLAG_SEED, 0, "0.0.1", "old", 0);
        assertThat(HostInfo.negotiate(read(c))).isEqualTo(older);
        // Even if it claimed them, fields beyond its struct are not used.
        HostInfo.Content claims = new HostInfo.Content(1, 0, HostInfo.RECORD_SIZE, SlotLayout.SLOT_SIZE, 104, 32, new long[] {ALL},
                HostInfo.FLAG_SEED, 0, "0.0.1", "old", 0);
        assertThat(HostInfo.negotiate(read(claims))).isEqualTo(older);
    }

    @Test
    void newerPublisherWithUnknownFeaturesAndALongerRecordGivesWhatThisLibraryKnows() {
        long future = ALL | 1L << 11 | 1L << 12;
        HostInfo.Content c = new HostInfo.Content(1, 9, HostInfo.VALUE_SIZE, SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE, 32,
                new long[] {future, 0x5}, HostInfo.FLAG_SEED | 1L << 7, 0, "9.9.9", "future", 42);
        HostInfo.Content back = read(c);
        assertThat(back.features()).containsExactly(future, 0x5);
        assertThat(HostInfo.negotiate(back)).isEqualTo(ALL);
        assertThat(HostInfo.featureNames(future)).contains("utime", "bit 11", "bit 12");
    }

    @Test
    void noSeedProgramMeansNoUtimeOrStime() {
        HostInfo.Content c = HostInfo.current(ALL, 0, "1", "p", 1);
        assertThat(HostInfo.negotiate(read(c))).isEqualTo(ALL & ~Feature.maskOf(Feature.UTIME, Feature.STIME));
    }

    @Test
    void whatCannotBeReadIsRefusedWithTheReason() {
        assertThatThrownBy(() -> HostInfo.negotiate(new HostInfo.Content(2, 0, HostInfo.RECORD_SIZE, SlotLayout.SLOT_SIZE,
                SlotLayout.STRUCT_SIZE, 32, new long[] {ALL}, HostInfo.FLAG_SEED, 0, "2.0", "p", 0)))
                .isInstanceOf(IncompatibleHostException.class).hasMessageContaining("slot ABI 2.0").hasMessageContaining("major versions differ");
        assertThatThrownBy(() -> HostInfo.negotiate(new HostInfo.Content(1, 2, HostInfo.RECORD_SIZE, 256,
                SlotLayout.STRUCT_SIZE, 32, new long[] {ALL}, HostInfo.FLAG_SEED, 0, "x", "p", 0)))
                .isInstanceOf(IncompatibleHostException.class).hasMessageContaining("slots are 256 bytes");
        assertThatThrownBy(() -> HostInfo.negotiate(new HostInfo.Content(1, 2, HostInfo.RECORD_SIZE, SlotLayout.SLOT_SIZE,
                SlotLayout.STRUCT_SIZE, 40, new long[] {ALL}, HostInfo.FLAG_SEED, 0, "x", "p", 0)))
                .isInstanceOf(IncompatibleHostException.class).hasMessageContaining("read 40-byte task records, this library writes 32");
    }

    @Test
    void malformedRecordsAreRejectedPrecisely() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(HostInfo.VALUE_SIZE, 8);
            assertThatThrownBy(() -> HostInfo.read(v, "info")).isInstanceOf(RegionFormatException.class).hasMessageContaining("not a taskshared host info record");
            HostInfo.write(v, HostInfo.current(ALL, HostInfo.FLAG_SEED, "1", "p", 1));
            v.set(ValueLayout.JAVA_INT, HostInfo.OFF_FEATURE_WORDS, 9);
            assertThatThrownBy(() -> HostInfo.read(v, "info")).hasMessageContaining("feature_words 9 outside 1..4");
            HostInfo.write(v, HostInfo.current(ALL, HostInfo.FLAG_SEED, "1", "p", 1));
            v.set(ValueLayout.JAVA_INT, HostInfo.OFF_RECORD_SIZE, 1000);
            assertThatThrownBy(() -> HostInfo.read(v, "info")).hasMessageContaining("record_size 1000 outside 72..256");
            assertThatThrownBy(() -> HostInfo.read(v.asSlice(0, 40), "info")).hasMessageContaining("too small");
        }
    }

    @Test
    void anOlderShorterRecordReadsWithoutItsLaterFields() {
        HostInfo.Content c = new HostInfo.Content(1, 1, 80, SlotLayout.SLOT_SIZE, SlotLayout.STRUCT_SIZE, 32, new long[] {ALL},
                HostInfo.FLAG_SEED, 123, "ignored", "ignored", 7);
        HostInfo.Content back = read(c);
        assertThat(back.installedAtEpochNanos()).isEqualTo(123);
        assertThat(back.version()).isEqualTo("unknown");
        assertThat(back.groupGid()).isEqualTo(-1);
        assertThat(HostInfo.negotiate(back)).isEqualTo(ALL);
    }

    private static HostInfo.Content read(HostInfo.Content c) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(HostInfo.VALUE_SIZE, 8);
            HostInfo.write(v, c);
            return HostInfo.read(v, "test record");
        }
    }
}
