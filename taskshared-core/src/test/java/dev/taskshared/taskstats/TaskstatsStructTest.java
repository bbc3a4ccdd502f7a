package dev.taskshared.taskstats;

import static dev.taskshared.taskstats.TaskStats.Field.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** The struct layouts against the offsets of include/uapi/linux/taskstats.h, and decoding by version. */
class TaskstatsStructTest {

    @Test
    void version16LayoutMatchesTheKernelHeader() {
        assertThat(TaskstatsStruct.LAYOUT.byteSize()).isEqualTo(560);
        int[][] expected = {
                {AC_EXITCODE.ordinal(), 4}, {AC_FLAG.ordinal(), 8}, {AC_NICE.ordinal(), 9}, {CPU_COUNT.ordinal(), 16},
                {CPU_RUN_VIRTUAL_TOTAL.ordinal(), 72}, {AC_COMM.ordinal(), 80}, {AC_SCHED.ordinal(), 112},
                {AC_UID.ordinal(), 120}, {AC_BTIME.ordinal(), 136}, {AC_ETIME.ordinal(), 144}, {AC_UTIME.ordinal(), 152},
                {NVCSW.ordinal(), 272}, {FREEPAGES_DELAY_TOTAL.ordinal(), 320}, {THRASHING_COUNT.ordinal(), 328},
                {AC_BTIME64.ordinal(), 344}, {COMPACT_COUNT.ordinal(), 352}, {AC_TGID.ordinal(), 368},
                {AC_TGETIME.ordinal(), 376}, {AC_EXE_INODE.ordinal(), 392}, {WPCOPY_COUNT.ordinal(), 400},
                {IRQ_COUNT.ordinal(), 416}, {IRQ_DELAY_TOTAL.ordinal(), 424}, {CPU_DELAY_MAX.ordinal(), 432},
                {CPU_DELAY_MIN.ordinal(), 440}, {IRQ_DELAY_MIN.ordinal(), 552},
        };
        for (int[] e : expected) {
            TaskStats.Field f = TaskStats.Field.values()[e[0]];
            assertThat(TaskstatsStruct.offset(16, f)).as(f.kernelName()).isEqualTo(e[1]);
            assertThat(TaskstatsStruct.offset(14, f)).as(f.kernelName()).isEqualTo(e[1]);
        }
    }

    @Test
    void version15LayoutInterleavesMaxAndMin() {
        assertThat(TaskstatsStruct.LAYOUT_V15.byteSize()).isEqualTo(560);
        assertThat(TaskstatsStruct.offset(15, CPU_DELAY_MAX)).isEqualTo(32);
        assertThat(TaskstatsStruct.offset(15, BLKIO_COUNT)).isEqualTo(48);
        assertThat(TaskstatsStruct.offset(15, AC_COMM)).isEqualTo(128);
        assertThat(TaskstatsStruct.offset(15, AC_UTIME)).isEqualTo(200);
        assertThat(TaskstatsStruct.offset(15, AC_TGID)).isEqualTo(464);
        assertThat(TaskstatsStruct.offset(15, IRQ_DELAY_MIN)).isEqualTo(552);
    }

    /** A struct of {@code version} and {@code length} bytes whose every u64 field holds its own offset. */
    private static MemorySegment synthetic(int version, int length) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) version);
        for (TaskStats.Field f : TaskStats.Field.values()) {
            long off = TaskstatsStruct.offset(version, f);
            if (f.type() == TaskStats.Field.Type.U64 && off + 8 <= length) {
                b.putLong((int) off, off);
            }
        }
        byte[] comm = "worker-7".getBytes();
        b.put((int) TaskstatsStruct.offset(version, AC_COMM), comm);
        b.put((int) TaskstatsStruct.offset(version, AC_NICE), (byte) -5);
        b.putInt((int) TaskstatsStruct.offset(version, AC_PID), 4242);
        return MemorySegment.ofArray(b.array());
    }

    @Test
    void version16DecodesEveryField() {
        TaskStats s = TaskStats.decode(synthetic(16, 560));
        assertThat(s.version()).isEqualTo(16);
        assertThat(s.comm()).isEqualTo("worker-7");
        assertThat(s.value(AC_NICE)).isEqualTo(-5);
        assertThat(s.value(AC_PID)).isEqualTo(4242);
        assertThat(s.value(CPU_DELAY_TOTAL)).isEqualTo(24);
        assertThat(s.value(AC_UTIME)).isEqualTo(152);
        assertThat(s.value(IRQ_DELAY_TOTAL)).isEqualTo(424);
        assertThat(s.value(CPU_DELAY_MAX)).isEqualTo(432);
        assertThat(s.value(IRQ_DELAY_MIN)).isEqualTo(552);
        for (TaskStats.Field f : TaskStats.Field.values()) {
            assertThat(s.has(f)).as(f.kernelName()).isTrue();
        }
    }

    @Test
    void version15ReadsTheInterleavedLayout() {
        TaskStats s = TaskStats.decode(synthetic(15, 560));
        assertThat(s.value(CPU_DELAY_MAX)).isEqualTo(32);
        assertThat(s.value(BLKIO_COUNT)).isEqualTo(48);
        assertThat(s.value(AC_UTIME)).isEqualTo(200);
        assertThat(s.value(IRQ_DELAY_TOTAL)).isEqualTo(536);
        assertThat(s.comm()).isEqualTo("worker-7");
        assertThat(s.value(AC_PID)).isEqualTo(4242);
    }

    @Test
    void version14LacksMaxAndMin() {
        TaskStats s = TaskStats.decode(synthetic(14, 432));
        assertThat(s.value(IRQ_DELAY_TOTAL)).isEqualTo(424);
        assertThat(s.has(CPU_DELAY_MAX)).isFalse();
        assertThat(s.get(CPU_DELAY_MAX)).isEmpty();
        assertThat(s.get(IRQ_COUNT)).hasValue(416);
        assertThatThrownBy(() -> s.value(CPU_DELAY_MAX))
                .isInstanceOf(NoSuchElementException.class)
                .hasMessage("taskstats field cpu_delay_max is absent: it needs version 15 and 440 bytes; this record is version 14, 432 bytes");
    }

    @Test
    void olderVersionsLackLaterFieldsEvenWhenLonger() {
        TaskStats s = TaskStats.decode(synthetic(12, 432)); // longer than v12 needs: the tail is not v13/v14 data
        assertThat(s.value(AC_TGID)).isZero();
        assertThat(s.has(WPCOPY_COUNT)).isFalse();
        assertThat(s.has(IRQ_COUNT)).isFalse();
    }

    @Test
    void newerVersionsAreReadWithTheKnownLayoutAndTheirTailIgnored() {
        TaskStats s = TaskStats.decode(synthetic(17, 700));
        assertThat(s.version()).isEqualTo(17);
        assertThat(s.structLength()).isEqualTo(700);
        assertThat(s.value(IRQ_DELAY_MIN)).isEqualTo(552);
    }

    @Test
    void versionAndLengthAreCheckedFirst() {
        assertThatThrownBy(() -> TaskStats.decode(MemorySegment.ofArray(new byte[1])))
                .isInstanceOf(NetlinkFormatException.class)
                .hasMessage("struct taskstats of 1 bytes has no room for its version field");
        byte[] v1 = new byte[80];
        v1[0] = 1;
        assertThatThrownBy(() -> TaskStats.decode(MemorySegment.ofArray(v1)))
                .hasMessage("struct taskstats version 1 is older than version 2, the oldest layout this code reads");
        assertThatThrownBy(() -> TaskStats.decode(synthetic(13, 408)))
                .hasMessage("struct taskstats version 13 is 408 bytes, the version needs at least 416");
        assertThatThrownBy(() -> TaskStats.decode(synthetic(16, 432)))
                .hasMessage("struct taskstats version 16 is 432 bytes, the version needs at least 560");
    }

    @Test
    void commIsNotANumber() {
        TaskStats s = TaskStats.decode(synthetic(16, 560));
        assertThatThrownBy(() -> s.get(AC_COMM)).isInstanceOf(IllegalArgumentException.class);
    }
    @Test
    void minimumLengthPerVersionFollowsTheFieldsEachVersionAdded() {
        // The kernel's sizes: through cpu_run_virtual_total before v9, then the end of each version's last field.
        int[][] expected = {{2, 80}, {8, 80}, {9, 344}, {10, 352}, {11, 368}, {12, 400}, {13, 416}, {14, 432},
                {15, 560}, {16, 560}, {17, 560}};
        for (int[] e : expected) {
            assertThat(TaskstatsStruct.minimumLength(e[0])).as("version " + e[0]).isEqualTo(e[1]);
        }
    }

    @Test
    void jsonNamesAreTheKernelNamesWithTheirUnit() {
        // The keys of `taskshared exits --json`: a contract, so listed here in full.
        String expected = "ac_exitcode ac_flag ac_nice cpu_count cpu_delay_total_ns blkio_count blkio_delay_total_ns swapin_count swapin_delay_total_ns cpu_run_real_total_ns cpu_run_virtual_total_ns ac_comm ac_sched ac_uid ac_gid ac_pid ac_ppid ac_btime_s ac_etime_us ac_utime_us ac_stime_us ac_minflt ac_majflt coremem_mb_us virtmem_mb_us hiwater_rss_kib hiwater_vm_kib read_char_bytes write_char_bytes read_syscalls write_syscalls read_bytes write_bytes cancelled_write_bytes nvcsw nivcsw ac_utimescaled_us ac_stimescaled_us cpu_scaled_run_real_total_ns freepages_count freepages_delay_total_ns thrashing_count thrashing_delay_total_ns ac_btime64_s compact_count compact_delay_total_ns ac_tgid ac_tgetime_us ac_exe_dev ac_exe_inode wpcopy_count wpcopy_delay_total_ns irq_count irq_delay_total_ns cpu_delay_max_ns cpu_delay_min_ns blkio_delay_max_ns blkio_delay_min_ns swapin_delay_max_ns swapin_delay_min_ns freepages_delay_max_ns freepages_delay_min_ns thrashing_delay_max_ns thrashing_delay_min_ns compact_delay_max_ns compact_delay_min_ns wpcopy_delay_max_ns wpcopy_delay_min_ns irq_delay_max_ns irq_delay_min_ns";
        assertThat(java.util.Arrays.stream(TaskStats.Field.values()).map(TaskStats.Field::jsonName)
                .collect(java.util.stream.Collectors.joining(" "))).isEqualTo(expected);
        assertThat(CPU_DELAY_TOTAL.unit()).isEqualTo(TaskStats.Field.Unit.NANOS);
        assertThat(READ_BYTES.jsonName()).isEqualTo("read_bytes");
    }

    @Test
    void recordsWithEqualBytesAreEqual() {
        assertThat(TaskStats.decode(synthetic(16, 560))).isEqualTo(TaskStats.decode(synthetic(16, 560)))
                .hasSameHashCodeAs(TaskStats.decode(synthetic(16, 560)))
                .isNotEqualTo(TaskStats.decode(synthetic(14, 560)));
        assertThat(TaskStats.decode(synthetic(16, 560)).toString()).contains("ac_comm=worker-7", "ac_nice=-5",
                "irq_delay_min_ns=552");
    }
}
