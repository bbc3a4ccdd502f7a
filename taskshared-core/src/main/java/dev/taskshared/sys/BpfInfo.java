package dev.taskshared.sys;

import static dev.taskshared.sys.BpfAttr.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The records BPF_OBJ_GET_INFO_BY_FD fills ({@link BpfAttr.GetInfo}): {@code struct bpf_prog_info},
 * {@code bpf_map_info} and {@code bpf_link_info} of include/uapi/linux/bpf.h, through the fields
 * the library reads. Pass {@code LAYOUT.byteSize()} as {@code info_len}: the kernel fills what it
 * knows up to that length and leaves the rest zero.
 */
public final class BpfInfo {
    private BpfInfo() {
    }

    /** {@code struct bpf_prog_info} through {@code verified_insns} (6.0). */
    public static final class Prog {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("type"),
                JAVA_INT.withName("id"),
                MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("tag"),
                JAVA_INT.withName("jited_prog_len"),
                JAVA_INT.withName("xlated_prog_len"),
                JAVA_LONG.withName("jited_prog_insns"),
                JAVA_LONG.withName("xlated_prog_insns"),
                JAVA_LONG.withName("load_time"),
                JAVA_INT.withName("created_by_uid"),
                JAVA_INT.withName("nr_map_ids"),
                JAVA_LONG.withName("map_ids"),
                MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("name"),
                JAVA_INT.withName("ifindex"),
                JAVA_INT.withName("gpl_compatible"), // bit 0 of a u32 bit field
                JAVA_LONG.withName("netns_dev"),
                JAVA_LONG.withName("netns_ino"),
                JAVA_INT.withName("nr_jited_ksyms"),
                JAVA_INT.withName("nr_jited_func_lens"),
                JAVA_LONG.withName("jited_ksyms"),
                JAVA_LONG.withName("jited_func_lens"),
                JAVA_INT.withName("btf_id"),
                JAVA_INT.withName("func_info_rec_size"),
                JAVA_LONG.withName("func_info"),
                JAVA_INT.withName("nr_func_info"),
                JAVA_INT.withName("nr_line_info"),
                JAVA_LONG.withName("line_info"),
                JAVA_LONG.withName("jited_line_info"),
                JAVA_INT.withName("nr_jited_line_info"),
                JAVA_INT.withName("line_info_rec_size"),
                JAVA_INT.withName("jited_line_info_rec_size"),
                JAVA_INT.withName("nr_prog_tags"),
                JAVA_LONG.withName("prog_tags"),
                JAVA_LONG.withName("run_time_ns"),
                JAVA_LONG.withName("run_cnt"),
                JAVA_LONG.withName("recursion_misses"),
                JAVA_INT.withName("verified_insns"),
                MemoryLayout.paddingLayout(4)).withName("bpf_prog_info");
        public static final long TYPE = offset(LAYOUT, "type");
        public static final long ID = offset(LAYOUT, "id");
        public static final long TAG = offset(LAYOUT, "tag");
        public static final long TAG_SIZE = 8;
        public static final long JITED_PROG_LEN = offset(LAYOUT, "jited_prog_len");
        public static final long XLATED_PROG_LEN = offset(LAYOUT, "xlated_prog_len");
        public static final long NAME = offset(LAYOUT, "name");
        /** u64 ns the program ran in total, while BPF_ENABLE_STATS or kernel.bpf_stats_enabled is on. */
        public static final long RUN_TIME_NS = offset(LAYOUT, "run_time_ns");
        public static final long RUN_CNT = offset(LAYOUT, "run_cnt");
        public static final long RECURSION_MISSES = offset(LAYOUT, "recursion_misses");
        public static final long VERIFIED_INSNS = offset(LAYOUT, "verified_insns");

        private Prog() {
        }
    }

    /** {@code struct bpf_map_info} through {@code map_extra} (5.16). */
    public static final class Map {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("type"),
                JAVA_INT.withName("id"),
                JAVA_INT.withName("key_size"),
                JAVA_INT.withName("value_size"),
                JAVA_INT.withName("max_entries"),
                JAVA_INT.withName("map_flags"),
                MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("name"),
                JAVA_INT.withName("ifindex"),
                JAVA_INT.withName("btf_vmlinux_value_type_id"),
                JAVA_LONG.withName("netns_dev"),
                JAVA_LONG.withName("netns_ino"),
                JAVA_INT.withName("btf_id"),
                JAVA_INT.withName("btf_key_type_id"),
                JAVA_INT.withName("btf_value_type_id"),
                MemoryLayout.paddingLayout(4),
                JAVA_LONG.withName("map_extra")).withName("bpf_map_info");
        public static final long TYPE = offset(LAYOUT, "type");
        public static final long ID = offset(LAYOUT, "id");
        public static final long KEY_SIZE = offset(LAYOUT, "key_size");
        public static final long VALUE_SIZE = offset(LAYOUT, "value_size");
        public static final long MAX_ENTRIES = offset(LAYOUT, "max_entries");
        public static final long MAP_FLAGS = offset(LAYOUT, "map_flags");
        public static final long NAME = offset(LAYOUT, "name");
        public static final long BTF_ID = offset(LAYOUT, "btf_id");
        public static final long MAP_EXTRA = offset(LAYOUT, "map_extra");

        private Map() {
        }
    }

    /**
     * {@code struct bpf_link_info}: type, id, prog_id, then a per-type union (aligned 8) of which
     * the library reads none. 64 bytes, more than 6.1's 48: the kernel zero-fills what it lacks.
     */
    public static final class Link {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("type"),
                JAVA_INT.withName("id"),
                JAVA_INT.withName("prog_id"),
                MemoryLayout.paddingLayout(4),
                MemoryLayout.sequenceLayout(48, JAVA_BYTE).withName("per_type")).withName("bpf_link_info");
        public static final long TYPE = offset(LAYOUT, "type");
        public static final long ID = offset(LAYOUT, "id");
        public static final long PROG_ID = offset(LAYOUT, "prog_id");

        private Link() {
        }
    }
}
