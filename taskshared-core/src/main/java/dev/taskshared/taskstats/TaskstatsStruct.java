package dev.taskshared.taskstats;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;

/**
 * {@code struct taskstats} of include/uapi/linux/taskstats.h, declared once per layout the kernel
 * has shipped, and decoded by its version field.
 *
 * <pre>
 *   0 u16 version        4 u32 ac_exitcode      8 u8 ac_flag      9 u8 ac_nice
 *  16 u64 cpu_count (aligned 8) .. 72 u64 cpu_run_virtual_total     delay accounting
 *  80 char ac_comm[32]  112 u8 ac_sched (aligned 8)  120 u32 ac_uid (aligned 8) .. 136 u32 ac_btime
 * 144 u64 ac_etime (aligned 8) .. 336 thrashing_delay_total (v9)  344 u64 ac_btime64 (v10)
 * 352 compact_* (v11)  368 u32 ac_tgid (v12)  376 u64 ac_tgetime (aligned 8)  384 ac_exe_dev, ac_exe_inode
 * 400 wpcopy_* (v13)  416 irq_* (v14)  432 cpu_delay_max .. 552 irq_delay_min (v16)  560 end
 * </pre>
 *
 * The struct aligns several members to 8 ({@code __attribute__((aligned(8)))}), hence the padding
 * after {@code ac_nice}, {@code ac_sched}, {@code ac_btime} and {@code ac_tgid}. Version 15 (6.14 and
 * 6.15 before a stable fix) inserted the {@code *_delay_max/min} pairs after each
 * {@code *_delay_total}, moving every later field; version 16 moved them to the end. Both layouts
 * are here; a later version is read with the version-16 layout and its unknown tail ignored.
 * Fields a version predates, or that the record's length does not hold, are absent.
 */
final class TaskstatsStruct {
    static final int TS_COMM_LEN = 32;
    /** The oldest version whose header layout (ac_exitcode after version) this code reads. */
    static final int MIN_VERSION = 2;
    /** The newest version whose every field this code knows. */
    static final int KNOWN_VERSION = 16;

    /** Versions 2..14 and 16 on (later versions append at the end). */
    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_SHORT.withName("version"),
            MemoryLayout.paddingLayout(2),
            JAVA_INT.withName("ac_exitcode"),
            JAVA_BYTE.withName("ac_flag"),
            JAVA_BYTE.withName("ac_nice"),
            MemoryLayout.paddingLayout(6),
            JAVA_LONG.withName("cpu_count"),
            JAVA_LONG.withName("cpu_delay_total"),
            JAVA_LONG.withName("blkio_count"),
            JAVA_LONG.withName("blkio_delay_total"),
            JAVA_LONG.withName("swapin_count"),
            JAVA_LONG.withName("swapin_delay_total"),
            JAVA_LONG.withName("cpu_run_real_total"),
            JAVA_LONG.withName("cpu_run_virtual_total"),
            MemoryLayout.sequenceLayout(TS_COMM_LEN, JAVA_BYTE).withName("ac_comm"),
            JAVA_BYTE.withName("ac_sched"),
            MemoryLayout.paddingLayout(7),
            JAVA_INT.withName("ac_uid"),
            JAVA_INT.withName("ac_gid"),
            JAVA_INT.withName("ac_pid"),
            JAVA_INT.withName("ac_ppid"),
            JAVA_INT.withName("ac_btime"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("ac_etime"),
            JAVA_LONG.withName("ac_utime"),
            JAVA_LONG.withName("ac_stime"),
            JAVA_LONG.withName("ac_minflt"),
            JAVA_LONG.withName("ac_majflt"),
            JAVA_LONG.withName("coremem"),
            JAVA_LONG.withName("virtmem"),
            JAVA_LONG.withName("hiwater_rss"),
            JAVA_LONG.withName("hiwater_vm"),
            JAVA_LONG.withName("read_char"),
            JAVA_LONG.withName("write_char"),
            JAVA_LONG.withName("read_syscalls"),
            JAVA_LONG.withName("write_syscalls"),
            JAVA_LONG.withName("read_bytes"),
            JAVA_LONG.withName("write_bytes"),
            JAVA_LONG.withName("cancelled_write_bytes"),
            JAVA_LONG.withName("nvcsw"),
            JAVA_LONG.withName("nivcsw"),
            JAVA_LONG.withName("ac_utimescaled"),
            JAVA_LONG.withName("ac_stimescaled"),
            JAVA_LONG.withName("cpu_scaled_run_real_total"),
            JAVA_LONG.withName("freepages_count"),
            JAVA_LONG.withName("freepages_delay_total"),
            JAVA_LONG.withName("thrashing_count"),
            JAVA_LONG.withName("thrashing_delay_total"),
            JAVA_LONG.withName("ac_btime64"),
            JAVA_LONG.withName("compact_count"),
            JAVA_LONG.withName("compact_delay_total"),
            JAVA_INT.withName("ac_tgid"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("ac_tgetime"),
            JAVA_LONG.withName("ac_exe_dev"),
            JAVA_LONG.withName("ac_exe_inode"),
            JAVA_LONG.withName("wpcopy_count"),
            JAVA_LONG.withName("wpcopy_delay_total"),
            JAVA_LONG.withName("irq_count"),
            JAVA_LONG.withName("irq_delay_total"),
            JAVA_LONG.withName("cpu_delay_max"),
            JAVA_LONG.withName("cpu_delay_min"),
            JAVA_LONG.withName("blkio_delay_max"),
            JAVA_LONG.withName("blkio_delay_min"),
            JAVA_LONG.withName("swapin_delay_max"),
            JAVA_LONG.withName("swapin_delay_min"),
            JAVA_LONG.withName("freepages_delay_max"),
            JAVA_LONG.withName("freepages_delay_min"),
            JAVA_LONG.withName("thrashing_delay_max"),
            JAVA_LONG.withName("thrashing_delay_min"),
            JAVA_LONG.withName("compact_delay_max"),
            JAVA_LONG.withName("compact_delay_min"),
            JAVA_LONG.withName("wpcopy_delay_max"),
            JAVA_LONG.withName("wpcopy_delay_min"),
            JAVA_LONG.withName("irq_delay_max"),
            JAVA_LONG.withName("irq_delay_min")).withName("taskstats");

    /** Version 15 only: delay max/min interleaved with the totals. */
    static final StructLayout LAYOUT_V15 = MemoryLayout.structLayout(
            JAVA_SHORT.withName("version"),
            MemoryLayout.paddingLayout(2),
            JAVA_INT.withName("ac_exitcode"),
            JAVA_BYTE.withName("ac_flag"),
            JAVA_BYTE.withName("ac_nice"),
            MemoryLayout.paddingLayout(6),
            JAVA_LONG.withName("cpu_count"),
            JAVA_LONG.withName("cpu_delay_total"),
            JAVA_LONG.withName("cpu_delay_max"),
            JAVA_LONG.withName("cpu_delay_min"),
            JAVA_LONG.withName("blkio_count"),
            JAVA_LONG.withName("blkio_delay_total"),
            JAVA_LONG.withName("blkio_delay_max"),
            JAVA_LONG.withName("blkio_delay_min"),
            JAVA_LONG.withName("swapin_count"),
            JAVA_LONG.withName("swapin_delay_total"),
            JAVA_LONG.withName("swapin_delay_max"),
            JAVA_LONG.withName("swapin_delay_min"),
            JAVA_LONG.withName("cpu_run_real_total"),
            JAVA_LONG.withName("cpu_run_virtual_total"),
            MemoryLayout.sequenceLayout(TS_COMM_LEN, JAVA_BYTE).withName("ac_comm"),
            JAVA_BYTE.withName("ac_sched"),
            MemoryLayout.paddingLayout(7),
            JAVA_INT.withName("ac_uid"),
            JAVA_INT.withName("ac_gid"),
            JAVA_INT.withName("ac_pid"),
            JAVA_INT.withName("ac_ppid"),
            JAVA_INT.withName("ac_btime"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("ac_etime"),
            JAVA_LONG.withName("ac_utime"),
            JAVA_LONG.withName("ac_stime"),
            JAVA_LONG.withName("ac_minflt"),
            JAVA_LONG.withName("ac_majflt"),
            JAVA_LONG.withName("coremem"),
            JAVA_LONG.withName("virtmem"),
            JAVA_LONG.withName("hiwater_rss"),
            JAVA_LONG.withName("hiwater_vm"),
            JAVA_LONG.withName("read_char"),
            JAVA_LONG.withName("write_char"),
            JAVA_LONG.withName("read_syscalls"),
            JAVA_LONG.withName("write_syscalls"),
            JAVA_LONG.withName("read_bytes"),
            JAVA_LONG.withName("write_bytes"),
            JAVA_LONG.withName("cancelled_write_bytes"),
            JAVA_LONG.withName("nvcsw"),
            JAVA_LONG.withName("nivcsw"),
            JAVA_LONG.withName("ac_utimescaled"),
            JAVA_LONG.withName("ac_stimescaled"),
            JAVA_LONG.withName("cpu_scaled_run_real_total"),
            JAVA_LONG.withName("freepages_count"),
            JAVA_LONG.withName("freepages_delay_total"),
            JAVA_LONG.withName("freepages_delay_max"),
            JAVA_LONG.withName("freepages_delay_min"),
            JAVA_LONG.withName("thrashing_count"),
            JAVA_LONG.withName("thrashing_delay_total"),
            JAVA_LONG.withName("thrashing_delay_max"),
            JAVA_LONG.withName("thrashing_delay_min"),
            JAVA_LONG.withName("ac_btime64"),
            JAVA_LONG.withName("compact_count"),
            JAVA_LONG.withName("compact_delay_total"),
            JAVA_LONG.withName("compact_delay_max"),
            JAVA_LONG.withName("compact_delay_min"),
            JAVA_INT.withName("ac_tgid"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("ac_tgetime"),
            JAVA_LONG.withName("ac_exe_dev"),
            JAVA_LONG.withName("ac_exe_inode"),
            JAVA_LONG.withName("wpcopy_count"),
            JAVA_LONG.withName("wpcopy_delay_total"),
            JAVA_LONG.withName("wpcopy_delay_max"),
            JAVA_LONG.withName("wpcopy_delay_min"),
            JAVA_LONG.withName("irq_count"),
            JAVA_LONG.withName("irq_delay_total"),
            JAVA_LONG.withName("irq_delay_max"),
            JAVA_LONG.withName("irq_delay_min")).withName("taskstats_v15");

    private static final long[] OFFSETS = offsets(LAYOUT);
    private static final long[] OFFSETS_V15 = offsets(LAYOUT_V15);

    private TaskstatsStruct() {
    }

    private static long[] offsets(StructLayout layout) {
        TaskStats.Field[] fields = TaskStats.Field.values();
        long[] out = new long[fields.length];
        for (TaskStats.Field f : fields) {
            out[f.ordinal()] = layout.byteOffset(MemoryLayout.PathElement.groupElement(f.kernelName()));
        }
        return out;
    }

    /** Byte offset of {@code field} in a struct of {@code version}. */
    static long offset(int version, TaskStats.Field field) {
        return (version == 15 ? OFFSETS_V15 : OFFSETS)[field.ordinal()];
    }

    /** The size a struct of {@code version} has at least. */
    static int minimumLength(int version) {
        return switch (version) {
            case 2, 3, 4, 5, 6, 7, 8 -> 80; // through cpu_run_virtual_total; later members by length
            case 9 -> 344;
            case 10 -> 352;
            case 11 -> 368;
            case 12 -> 400;
            case 13 -> 416;
            case 14 -> 432;
            default -> (int) LAYOUT.byteSize(); // 15, 16 and later: 560
        };
    }

    static boolean present(int version, int length, TaskStats.Field field) {
        return version >= field.sinceVersion() && offset(version, field) + field.size() <= length;
    }

    /**
     * Decodes a {@code TASKSTATS_TYPE_STATS} attribute value. Checks the version and the length
     * first: a value shorter than its version needs is a {@link NetlinkFormatException}.
     */
    static TaskStats decode(MemorySegment value) {
        long size = value.byteSize();
        if (size < 2) {
            throw new NetlinkFormatException("struct taskstats of " + size + " bytes has no room for its version field");
        }
        int version = Short.toUnsignedInt(value.get(JAVA_SHORT_UNALIGNED, 0));
        if (version < MIN_VERSION) {
            throw new NetlinkFormatException("struct taskstats version " + version + " is older than version "
                    + MIN_VERSION + ", the oldest layout this code reads");
        }
        int need = minimumLength(version);
        if (size < need) {
            throw new NetlinkFormatException("struct taskstats version " + version + " is " + size
                    + " bytes, the version needs at least " + need);
        }
        int length = (int) Math.min(size, Integer.MAX_VALUE);
        TaskStats.Field[] fields = TaskStats.Field.values();
        long[] v = new long[fields.length];
        String comm = "";
        for (TaskStats.Field f : fields) {
            if (!present(version, length, f)) {
                continue;
            }
            long off = offset(version, f);
            switch (f.type()) {
                case U8 -> v[f.ordinal()] = Byte.toUnsignedInt(value.get(JAVA_BYTE, off));
                case S8 -> v[f.ordinal()] = value.get(JAVA_BYTE, off);
                case U32 -> v[f.ordinal()] = Integer.toUnsignedLong(value.get(JAVA_INT_UNALIGNED, off));
                case U64 -> v[f.ordinal()] = value.get(JAVA_LONG_UNALIGNED, off);
                case COMM -> {
                    byte[] bytes = value.asSlice(off, TS_COMM_LEN).toArray(JAVA_BYTE);
                    int n = 0;
                    while (n < bytes.length && bytes[n] != 0) {
                        n++;
                    }
                    comm = new String(bytes, 0, n, StandardCharsets.UTF_8);
                }
            }
        }
        return TaskStats.of(version, length, comm, v);
    }
}
