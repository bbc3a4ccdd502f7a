package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.sys.ErrnoException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BpfMapTest {
    @BeforeEach
    void requireBpf() {
        BpfTesting.requireBpf();
    }

    private static byte[] value(int size, long first) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putLong(0, first).array();
    }

    private static long first(byte[] v) {
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    @Test
    void mmapableArrayIsSharedBothWays() {
        try (BpfMap map = BpfMap.create(MapSpec.array(128, 32).mmapable().named("ts_test_slots"))) {
            MemorySegment mem = map.mmap();
            assertThat(mem.byteSize()).isEqualTo(4096);
            // written through the mapping, read with a syscall
            mem.set(JAVA_LONG, 5 * 128, 0x1234_5678_9abcL);
            mem.set(JAVA_LONG, 31 * 128 + 120, 77);
            assertThat(first(map.lookup(5).orElseThrow())).isEqualTo(0x1234_5678_9abcL);
            assertThat(map.lookup(31).orElseThrow()[120]).isEqualTo((byte) 77);
            // written with a syscall, read through the mapping
            map.update(7, value(128, 42));
            assertThat(mem.get(JAVA_LONG, 7 * 128)).isEqualTo(42);
            // arrays have every index; out of range is absent
            assertThat(map.lookup(32)).isEmpty();
            assertThat(map.mmap().address()).isEqualTo(mem.address()); // mapped once
            MapInfo info = map.info();
            assertThat(info.name()).isEqualTo("ts_test_slots");
            assertThat(info.mapType()).isEqualTo(MapType.ARRAY);
            assertThat(info.flags() & MapSpec.F_MMAPABLE).isNotZero();
            assertThat(info.valueSize()).isEqualTo(128);
            assertThat(info.id()).isPositive();
            map.close();
            assertThatThrownBy(() -> mem.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(map::fd).hasMessageContaining("closed");
        }
    }

    @Test
    void closeReleasesTheDescriptor() throws Exception {
        BpfMap map = BpfMap.create(MapSpec.array(8, 1));
        int fd = map.fd();
        Path link = Path.of("/proc/self/fd/" + fd);
        assertThat(Files.readSymbolicLink(link).toString()).contains("bpf-map");
        map.close();
        map.close(); // idempotent
        assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS) && Files.readSymbolicLink(link).toString().contains("bpf-map"))
                .as("fd %d still open", fd).isFalse();
    }

    @Test
    void notMmapableIsAClearError() {
        try (BpfMap map = BpfMap.create(MapSpec.array(8, 4))) {
            assertThatThrownBy(map::mmap).hasMessageContaining("not an mmapable array");
        }
    }

    @Test
    void hashUpdateLookupDelete() {
        try (BpfMap map = BpfMap.create(MapSpec.hash(8, 16, 64).named("ts_test_hash"))) {
            byte[] k1 = value(8, 1001);
            assertThat(map.lookup(k1)).isEmpty();
            map.update(k1, value(16, 5));
            assertThat(first(map.lookup(k1).orElseThrow())).isEqualTo(5);
            map.update(k1, value(16, 6), BpfMap.EXIST);
            assertThat(first(map.lookup(k1).orElseThrow())).isEqualTo(6);
            assertThatThrownBy(() -> map.update(k1, value(16, 7), BpfMap.NOEXIST)).isInstanceOf(ErrnoException.class)
                    .satisfies(e -> assertThat(((ErrnoException) e).errnoName()).isEqualTo("EEXIST"));
            assertThat(Arrays.equals(map.nextKey(null).orElseThrow(), k1)).isTrue();
            assertThat(map.nextKey(k1)).isEmpty();
            assertThat(map.delete(k1)).isTrue();
            assertThat(map.delete(k1)).isFalse();
            assertThat(map.lookup(k1)).isEmpty();
            assertThatThrownBy(() -> map.lookup(new byte[4])).hasMessageContaining("key is 4 bytes, the map wants 8");
        }
    }

    @Test
    void arrayOfMapsHoldsMmapableInnerMaps() {
        try (BpfMap template = BpfMap.create(MapSpec.array(128, 32).mmapable());
                BpfMap outer = BpfMap.create(MapSpec.arrayOfMaps(8, template).named("ts_test_pages"));
                BpfMap page = BpfMap.create(MapSpec.array(128, 32).mmapable().named("ts_test_page1"))) {
            outer.setInner(1, page);
            assertThat(outer.innerId(1)).hasValue(page.id());
            assertThat(outer.innerId(0)).isEmpty();
            // another process (root) can open the page by id and see the same memory
            page.mmap().set(JAVA_LONG, 0, 99);
            try (BpfMap reopened = BpfMap.openById(outer.innerId(1).getAsInt())) {
                assertThat(reopened.type()).isEqualTo(MapType.ARRAY);
                assertThat(reopened.name()).isEqualTo("ts_test_page1");
                assertThat(reopened.mmap().get(JAVA_LONG, 0)).isEqualTo(99);
            }
            assertThat(outer.delete(BpfMap.u32(1))).isTrue();
            assertThat(outer.innerId(1)).isEmpty();
        }
    }

    @Test
    void perCpuArrayHasOneValuePerCpu() {
        try (BpfMap map = BpfMap.create(MapSpec.percpuArray(8, 1))) {
            assertThat(map.lookup(0).orElseThrow()).hasSize(8 * BpfMap.PossibleCpus.COUNT);
        }
    }

    @Test
    void badNamesAndSizesAreRefusedBeforeTheKernel() {
        assertThatThrownBy(() -> MapSpec.array(8, 1).named("has space")).hasMessageContaining("map name");
        assertThatThrownBy(() -> MapSpec.ringbuf(1000)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> BpfMap.create(MapSpec.array(8, 0))).isInstanceOf(ErrnoException.class)
                .hasMessageContaining("BPF_MAP_CREATE").hasMessageContaining("EINVAL");
    }
}
