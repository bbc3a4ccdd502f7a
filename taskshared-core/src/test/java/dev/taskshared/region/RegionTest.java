package dev.taskshared.region;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegionTest {
    private static final long SAMPLING_FEATURES = SlotFeature.maskOf(SlotFeature.SUM_EXEC_RUNTIME, SlotFeature.RUN_DELAY, SlotFeature.PCOUNT);

    @TempDir
    Path dir;

    private static final int PID = Libc.getpid();

    @Test
    void headerRoundTripsThroughAnotherMapping() throws IOException {
        Path path;
        try (Region region = Region.create("taskshared-test", PublisherKind.SAMPLING.code(), PID, 77, 10_000_000, new long[] {SAMPLING_FEATURES})) {
            path = region.path();
            region.addPage(region.filePage(0), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(0));
            MemorySegment slot = region.slot(5);
            SlotWriter.claim(slot, 1234, 99);
            try (RegionReader reader = RegionReader.open(path, null)) {
                HeaderInfo h = reader.header();
                assertThat(h.abiMajor()).isEqualTo(RegionHeader.ABI_MAJOR);
                assertThat(h.ownerPid()).isEqualTo(PID);
                assertThat(h.ownerStartTicks()).isEqualTo(ProcessStart.ticks(PID)).isPositive();
                assertThat(reader.ownerGone()).isNull();
                assertThat(h.createdAtNanos()).isEqualTo(77);
                assertThat(h.sampleIntervalNanos()).isEqualTo(10_000_000);
                assertThat(h.kind()).isEqualTo(PublisherKind.SAMPLING);
                assertThat(h.structSize()).isEqualTo(SlotLayout.STRUCT_SIZE);
                assertThat(h.features()).containsExactly(SAMPLING_FEATURES);
                assertThat(reader.usableFeatures()).isEqualTo(SAMPLING_FEATURES);
                assertThat(reader.pageCount()).isEqualTo(1);
                assertThat(SlotReader.getInt(reader.slot(5), SlotLayout.TID)).isEqualTo(1234);
                assertThat(SlotReader.getLong(reader.slot(5), SlotLayout.REGISTERED_AT_NS)).isEqualTo(99);

                region.addPage(region.filePage(1), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(1));
                assertThat(reader.refresh()).isEqualTo(2);
                assertThat(reader.slotCount()).isEqualTo(64);
            }
        }
        assertThat(isRegionLink(path, "taskshared-test")).as("the descriptor is closed with the region").isFalse();
    }

    private static boolean isRegionLink(Path fd, String name) {
        try {
            return Files.readSymbolicLink(fd).toString().equals("/memfd:" + name + " (deleted)");
        } catch (IOException gone) {
            return false;
        }
    }

    @Test
    void theRegionIsAMemfdWithNoNameInAnyFileSystem() throws IOException {
        try (Region region = Region.create(RegionLocator.DEFAULT_NAME, PublisherKind.SAMPLING.code(), PID, 0, 0, new long[] {SAMPLING_FEATURES})) {
            assertThat(region.path()).isEqualTo(Path.of("/proc/" + PID + "/fd/" + region.fd()));
            assertThat(Files.readSymbolicLink(region.path()).toString()).isEqualTo(RegionLocator.LINK_TARGET);
            assertThat(RegionLocator.candidates(PID)).contains(region.path());
            assertThat(RegionLocator.publishingProcesses()).contains(PID);
            assertThat(shmEntries()).as("nothing created under /dev/shm").isEmpty();
        }
    }

    /** /dev/shm entries named for this process (other sessions on this machine may have their own). */
    private static Set<String> shmEntries() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(Integer.toString(PID))).collect(Collectors.toSet());
        }
    }

    @Test
    void aReaderSeesItsOwnerExitAndItsPidTakenByAnotherProcess() throws Exception {
        Process owner = new ProcessBuilder("sleep", "30").start();
        int pid = (int) owner.pid();
        try (Region region = Region.create("taskshared-test", PublisherKind.SAMPLING.code(), pid, 0, 0, new long[] {SAMPLING_FEATURES})) {
            try (RegionReader reader = RegionReader.open(region.path(), null)) {
                assertThat(reader.header().ownerStartTicks()).isEqualTo(ProcessStart.ticks(pid));
                assertThat(reader.ownerGone()).isNull();
            }
            // the header of a region whose owner started at another time: the pid now names another process
            region.header().set(JAVA_LONG, RegionHeader.OFF_OWNER_START_TICKS, ProcessStart.ticks(pid) - 1);
            try (RegionReader reader = RegionReader.open(region.path(), null)) {
                assertThat(reader.ownerGone()).isEqualTo("process " + pid + " exited; pid " + pid + " now belongs to another process");
                owner.destroy();
                owner.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(reader.ownerGone()).isEqualTo("process " + pid + " exited");
            }
        } finally {
            owner.destroyForcibly();
        }
    }

    @Test
    void theLivePeriodIsReadFromTheHeader() throws IOException {
        try (Region region = Region.create("taskshared-test", PublisherKind.SAMPLING.code(), PID, 0, 10_000_000, new long[] {SAMPLING_FEATURES});
             RegionReader reader = RegionReader.open(region.path(), null)) {
            assertThat(reader.samplePeriodNanos()).isEqualTo(10_000_000);
            RegionHeader.publishSampleInterval(region.header(), 37_000_000);
            assertThat(reader.samplePeriodNanos()).isEqualTo(37_000_000);
        }
    }

    @Test
    void slotsAre128ByteAlignedAndPagesAre4KibAligned() throws IOException {
        try (Region region = Region.create("taskshared-test", PublisherKind.SAMPLING.code(), PID, 0, 0, new long[] {SAMPLING_FEATURES})) {
            region.addPage(region.filePage(0), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(0));
            for (int i = 0; i < SlotLayout.SLOTS_PER_PAGE; i++) {
                assertThat(region.slot(i).address() % 128).isZero();
                assertThat(region.slot(i).byteSize()).isEqualTo(128);
            }
            assertThat(region.filePage(0).address() % 4096).isZero();
            assertThatThrownBy(() -> region.slot(32)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void aForeignFileIsRejectedWithItsMagic() throws IOException {
        Path foreign = dir.resolve("foreign");
        Files.write(foreign, new byte[8192]);
        assertThatThrownBy(() -> RegionReader.open(foreign, null))
                .isInstanceOf(RegionFormatException.class)
                .hasMessageContaining("not a taskshared region (magic 0x0000000000000000");
    }

    @Test
    void aTruncatedFileIsRejected() throws IOException {
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[100]);
        assertThatThrownBy(() -> RegionReader.open(tiny, null))
                .isInstanceOf(RegionFormatException.class)
                .hasMessageContaining("too small");
    }

    @Test
    void corruptedFieldsAreNamed() throws IOException {
        assertCorruption(h -> h.set(JAVA_INT, RegionHeader.OFF_SLOT_SIZE, 64), "slot_size 64");
        assertCorruption(h -> h.set(JAVA_INT, RegionHeader.OFF_STRUCT_SIZE, 4000), "struct_size 4000");
        assertCorruption(h -> h.set(JAVA_INT, RegionHeader.OFF_PAGE_COUNT, 100_000), "page_count 100000");
        assertCorruption(h -> h.set(JAVA_INT, RegionHeader.OFF_FEATURE_WORDS, 0), "feature_words 0");
        assertCorruption(h -> h.set(JAVA_LONG, RegionHeader.OFF_FEATURES, SAMPLING_FEATURES | RegionHeader.MORE_WORDS),
                "continuation bit");
        assertCorruption(h -> h.set(java.lang.foreign.ValueLayout.JAVA_SHORT, RegionHeader.OFF_ABI_MAJOR, (short) 9),
                "ABI version 9." + RegionHeader.ABI_MINOR);
        assertCorruption(h -> {
            h.set(JAVA_INT, RegionHeader.OFF_PAGE_COUNT, 1);
            h.set(JAVA_LONG, RegionHeader.OFF_PAGE_TABLE, RegionHeader.PAGE_IN_FILE | (1L << 40));
        }, "page 0 at file offset");
        assertCorruption(h -> {
            h.set(JAVA_INT, RegionHeader.OFF_PAGE_COUNT, 1);
            h.set(JAVA_LONG, RegionHeader.OFF_PAGE_TABLE, 7L << 56);
        }, "unknown kind 0x7");
    }

    private void assertCorruption(java.util.function.Consumer<MemorySegment> corrupt, String message) throws IOException {
        Path path = dir.resolve("corrupt");
        Files.deleteIfExists(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = arena.allocate(RegionHeader.HEADER_SIZE + SlotLayout.PAGE_SIZE);
            RegionHeader.write(h, PublisherKind.SAMPLING.code(), 1, 0, 0, new long[] {SAMPLING_FEATURES});
            corrupt.accept(h);
            Files.write(path, h.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardOpenOption.CREATE_NEW);
        }
        assertThatThrownBy(() -> RegionReader.open(path, null))
                .isInstanceOf(RegionFormatException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining(message);
    }
}
