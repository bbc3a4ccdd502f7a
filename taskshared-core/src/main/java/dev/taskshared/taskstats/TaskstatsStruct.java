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
import java.util.ArrayList;
import java.util.List;

/**
 * {@code struct taskstats} of include/uapi/linux/taskstats.h: the layout of each version the kernel
 * has shipped, derived from the one table {@link TaskStats.Field}, and decoding by the version field.
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
 * Members sit at their natural alignment, and {@code ac_uid} at 8 as the header declares, hence the
 * padding after {@code ac_nice}, {@code ac_sched}, {@code ac_btime} and {@code ac_tgid}. Version 15
 * (6.14 and 6.15 before a stable fix) inserted the {@code *_delay_max/min} pairs after each
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
    /** The first version whose fields are recorded by the version that added them (see {@link TaskStats.Field}). */
    private static final int FIRST_EXACT_VERSION = 9;

    private static final TaskStats.Field[] FIELDS = TaskStats.Field.values();

    /** Versions 2..14 and 16 on (later versions append at the end). */
    static final StructLayout LAYOUT = layout(List.of(FIELDS), "taskstats");

    /** Version 15 only: delay max/min interleaved with the totals. */
    static final StructLayout LAYOUT_V15 = layout(version15Order(), "taskstats_v15");

    private static final long[] OFFSETS = offsets(LAYOUT);
    private static final long[] OFFSETS_V15 = offsets(LAYOUT_V15);

    private TaskstatsStruct() {
    }

    /** The fields in version 15's order: each field with a version-15 anchor moved right after it. */
    private static List<TaskStats.Field> version15Order() {
        List<TaskStats.Field> order = new ArrayList<>();
        for (TaskStats.Field f : FIELDS) {
            if (f.version15After() == null) {
                order.add(f);
            }
        }
        for (TaskStats.Field f : FIELDS) {
            if (f.version15After() != null) {
                order.add(order.indexOf(f.version15After()) + 1, f);
            }
        }
        return order;
    }

    /** {@code version}, then {@code fields} each at its alignment, padded to the struct's alignment of 8. */
    private static StructLayout layout(List<TaskStats.Field> fields, String name) {
        List<MemoryLayout> members = new ArrayList<>();
        members.add(JAVA_SHORT.withName("version"));
        long offset = JAVA_SHORT.byteSize();
        for (TaskStats.Field f : fields) {
            long aligned = align(offset, f.alignment());
            if (aligned > offset) {
                members.add(MemoryLayout.paddingLayout(aligned - offset));
            }
            MemoryLayout member = switch (f.type()) {
                case U8, S8 -> JAVA_BYTE;
                case U32 -> JAVA_INT.withByteAlignment(f.alignment());
                case U64 -> JAVA_LONG;
                case COMM -> MemoryLayout.sequenceLayout(TS_COMM_LEN, JAVA_BYTE);
            };
            members.add(member.withName(f.kernelName()));
            offset = aligned + f.size();
        }
        long end = align(offset, JAVA_LONG.byteAlignment());
        if (end > offset) {
            members.add(MemoryLayout.paddingLayout(end - offset));
        }
        return MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new)).withName(name);
    }

    private static long align(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private static long[] offsets(StructLayout layout) {
        long[] out = new long[FIELDS.length];
        for (TaskStats.Field f : FIELDS) {
            out[f.ordinal()] = layout.byteOffset(MemoryLayout.PathElement.groupElement(f.kernelName()));
        }
        return out;
    }

    /** Byte offset of {@code field} in a struct of {@code version}. */
    static long offset(int version, TaskStats.Field field) {
        return (version == 15 ? OFFSETS_V15 : OFFSETS)[field.ordinal()];
    }

    /**
     * The size a struct of {@code version} has at least: through the last field of its version (or
     * of any earlier one). Before version 9 the fields are not recorded by version, so only the
     * delay-accounting block is required and later members are read when the length holds them.
     */
    static int minimumLength(int version) {
        int exact = version >= FIRST_EXACT_VERSION ? version : 1;
        long end = 0;
        for (TaskStats.Field f : FIELDS) {
            if (f.sinceVersion() <= exact) {
                end = Math.max(end, offset(version, f) + f.size());
            }
        }
        return (int) end;
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
        long[] v = new long[FIELDS.length];
        String comm = "";
        for (TaskStats.Field f : FIELDS) {
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
        return new TaskStats(version, length, comm, v);
    }
}
