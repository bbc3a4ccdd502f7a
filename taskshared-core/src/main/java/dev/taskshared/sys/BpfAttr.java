package dev.taskshared.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The parts of {@code union bpf_attr} (include/uapi/linux/bpf.h) the library passes to
 * {@link Bpf}, one layout per command, declared once beside the system call as cilium/ebpf's
 * {@code internal/sys} does; each class's constants are offsets derived from its layout. Every
 * layout fits in {@link Bpf#ATTR_SIZE}. Fields the kernel added later sit at the end of their
 * command's part; an older kernel refuses a non-zero byte beyond what it knows (E2BIG), so only
 * set what a caller needs. Pointers are {@code u64} (aligned 8) on every architecture.
 *
 * <p>The {@code bpf_*_info} records the kernel fills for BPF_OBJ_GET_INFO_BY_FD are in
 * {@link BpfInfo}.
 */
public final class BpfAttr {
    private BpfAttr() {
    }

    static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MemoryLayout name16(String name) {
        return MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName(name);
    }

    /** BPF_MAP_CREATE. */
    public static final class MapCreate {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("map_type"),
                JAVA_INT.withName("key_size"),
                JAVA_INT.withName("value_size"),
                JAVA_INT.withName("max_entries"),
                JAVA_INT.withName("map_flags"),
                JAVA_INT.withName("inner_map_fd"),
                JAVA_INT.withName("numa_node"),
                name16("map_name"),
                JAVA_INT.withName("map_ifindex"),
                JAVA_INT.withName("btf_fd"),
                JAVA_INT.withName("btf_key_type_id"),
                JAVA_INT.withName("btf_value_type_id"),
                JAVA_INT.withName("btf_vmlinux_value_type_id"),
                JAVA_LONG.withName("map_extra")).withName("bpf_attr_map_create");
        public static final long MAP_TYPE = offset(LAYOUT, "map_type");
        public static final long KEY_SIZE = offset(LAYOUT, "key_size");
        public static final long VALUE_SIZE = offset(LAYOUT, "value_size");
        public static final long MAX_ENTRIES = offset(LAYOUT, "max_entries");
        public static final long MAP_FLAGS = offset(LAYOUT, "map_flags");
        public static final long INNER_MAP_FD = offset(LAYOUT, "inner_map_fd");
        public static final long MAP_NAME = offset(LAYOUT, "map_name");
        public static final long BTF_FD = offset(LAYOUT, "btf_fd");
        public static final long BTF_KEY_TYPE_ID = offset(LAYOUT, "btf_key_type_id");
        public static final long BTF_VALUE_TYPE_ID = offset(LAYOUT, "btf_value_type_id");
        /** u64, 5.16+: bloom filter hashes, arena address. */
        public static final long MAP_EXTRA = offset(LAYOUT, "map_extra");

        private MapCreate() {
        }
    }

    /** BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY. */
    public static final class MapElem {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("map_fd"),
                MemoryLayout.paddingLayout(4),
                JAVA_LONG.withName("key"),
                JAVA_LONG.withName("value"), // next_key for BPF_MAP_GET_NEXT_KEY
                JAVA_LONG.withName("flags")).withName("bpf_attr_map_elem");
        public static final long MAP_FD = offset(LAYOUT, "map_fd");
        public static final long KEY = offset(LAYOUT, "key");
        /** {@code value}, or {@code next_key} for BPF_MAP_GET_NEXT_KEY (the same union member). */
        public static final long VALUE = offset(LAYOUT, "value");
        public static final long FLAGS = offset(LAYOUT, "flags");

        private MapElem() {
        }
    }

    /** BPF_PROG_LOAD. */
    public static final class ProgLoad {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("prog_type"),
                JAVA_INT.withName("insn_cnt"),
                JAVA_LONG.withName("insns"),
                JAVA_LONG.withName("license"),
                JAVA_INT.withName("log_level"),
                JAVA_INT.withName("log_size"),
                JAVA_LONG.withName("log_buf"),
                JAVA_INT.withName("kern_version"),
                JAVA_INT.withName("prog_flags"),
                name16("prog_name"),
                JAVA_INT.withName("prog_ifindex"),
                JAVA_INT.withName("expected_attach_type"),
                JAVA_INT.withName("prog_btf_fd"),
                JAVA_INT.withName("func_info_rec_size"),
                JAVA_LONG.withName("func_info"),
                JAVA_INT.withName("func_info_cnt"),
                JAVA_INT.withName("line_info_rec_size"),
                JAVA_LONG.withName("line_info"),
                JAVA_INT.withName("line_info_cnt"),
                JAVA_INT.withName("attach_btf_id"),
                JAVA_INT.withName("attach_prog_fd"), // or attach_btf_obj_fd
                JAVA_INT.withName("core_relo_cnt"),
                JAVA_LONG.withName("fd_array"),
                JAVA_LONG.withName("core_relos"),
                JAVA_INT.withName("core_relo_rec_size"),
                JAVA_INT.withName("log_true_size")).withName("bpf_attr_prog_load");
        public static final long PROG_TYPE = offset(LAYOUT, "prog_type");
        public static final long INSN_CNT = offset(LAYOUT, "insn_cnt");
        public static final long INSNS = offset(LAYOUT, "insns");
        public static final long LICENSE = offset(LAYOUT, "license");
        public static final long LOG_LEVEL = offset(LAYOUT, "log_level");
        public static final long LOG_SIZE = offset(LAYOUT, "log_size");
        public static final long LOG_BUF = offset(LAYOUT, "log_buf");
        /** BPF_F_SLEEPABLE and friends. */
        public static final long PROG_FLAGS = offset(LAYOUT, "prog_flags");
        public static final long PROG_NAME = offset(LAYOUT, "prog_name");
        public static final long EXPECTED_ATTACH_TYPE = offset(LAYOUT, "expected_attach_type");
        public static final long PROG_BTF_FD = offset(LAYOUT, "prog_btf_fd");
        public static final long ATTACH_BTF_ID = offset(LAYOUT, "attach_btf_id");
        /** u32, 6.4+: the size the whole verifier log needs, written by the kernel. */
        public static final long LOG_TRUE_SIZE = offset(LAYOUT, "log_true_size");

        private ProgLoad() {
        }
    }

    /** BPF_PROG_TEST_RUN (BPF_PROG_RUN). */
    public static final class ProgTestRun {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("prog_fd"),
                JAVA_INT.withName("retval"),
                JAVA_INT.withName("data_size_in"),
                JAVA_INT.withName("data_size_out"),
                JAVA_LONG.withName("data_in"),
                JAVA_LONG.withName("data_out"),
                JAVA_INT.withName("repeat"),
                JAVA_INT.withName("duration"),
                JAVA_INT.withName("ctx_size_in"),
                JAVA_INT.withName("ctx_size_out"),
                JAVA_LONG.withName("ctx_in"),
                JAVA_LONG.withName("ctx_out"),
                JAVA_INT.withName("flags"),
                JAVA_INT.withName("cpu"),
                JAVA_INT.withName("batch_size"),
                MemoryLayout.paddingLayout(4)).withName("bpf_attr_prog_test_run");
        public static final long PROG_FD = offset(LAYOUT, "prog_fd");
        public static final long RETVAL = offset(LAYOUT, "retval");
        public static final long DATA_SIZE_IN = offset(LAYOUT, "data_size_in");
        public static final long DATA_SIZE_OUT = offset(LAYOUT, "data_size_out");
        public static final long DATA_IN = offset(LAYOUT, "data_in");
        public static final long DATA_OUT = offset(LAYOUT, "data_out");
        public static final long REPEAT = offset(LAYOUT, "repeat");
        /** u32 ns: the mean duration of one run, where the program type reports it. */
        public static final long DURATION = offset(LAYOUT, "duration");
        public static final long CTX_SIZE_IN = offset(LAYOUT, "ctx_size_in");
        public static final long CTX_IN = offset(LAYOUT, "ctx_in");

        private ProgTestRun() {
        }
    }

    /** BPF_OBJ_PIN and BPF_OBJ_GET. */
    public static final class ObjPin {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("pathname"),
                JAVA_INT.withName("bpf_fd"),
                JAVA_INT.withName("file_flags")).withName("bpf_attr_obj_pin");
        public static final long PATHNAME = offset(LAYOUT, "pathname");
        /** The object to pin (BPF_OBJ_PIN); 0 for BPF_OBJ_GET. */
        public static final long BPF_FD = offset(LAYOUT, "bpf_fd");
        /** BPF_F_RDONLY / BPF_F_WRONLY for BPF_OBJ_GET. */
        public static final long FILE_FLAGS = offset(LAYOUT, "file_flags");

        private ObjPin() {
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD: the kernel fills {@code info_len} bytes at {@code info} ({@link BpfInfo}). */
    public static final class GetInfo {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("bpf_fd"),
                JAVA_INT.withName("info_len"),
                JAVA_LONG.withName("info")).withName("bpf_attr_info");
        public static final long BPF_FD = offset(LAYOUT, "bpf_fd");
        public static final long INFO_LEN = offset(LAYOUT, "info_len");
        public static final long INFO = offset(LAYOUT, "info");

        private GetInfo() {
        }
    }

    /** BPF_MAP_GET_FD_BY_ID, BPF_PROG_GET_FD_BY_ID, BPF_LINK_GET_FD_BY_ID and the *_GET_NEXT_ID commands. */
    public static final class GetId {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("id"), // start_id, prog_id, map_id, btf_id or link_id
                JAVA_INT.withName("next_id"),
                JAVA_INT.withName("open_flags")).withName("bpf_attr_get_id");
        public static final long ID = offset(LAYOUT, "id");
        public static final long NEXT_ID = offset(LAYOUT, "next_id");
        public static final long OPEN_FLAGS = offset(LAYOUT, "open_flags");

        private GetId() {
        }
    }

    /** BPF_RAW_TRACEPOINT_OPEN. */
    public static final class RawTracepointOpen {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("name"),
                JAVA_INT.withName("prog_fd")).withName("bpf_attr_raw_tracepoint");
        /** Pointer to the tracepoint's name; 0 for a BTF-typed (tracing) program, whose target is known. */
        public static final long NAME = offset(LAYOUT, "name");
        public static final long PROG_FD = offset(LAYOUT, "prog_fd");

        private RawTracepointOpen() {
        }
    }

    /** BPF_LINK_CREATE, with the tracing part of its union (target_btf_id, cookie). */
    public static final class LinkCreate {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("prog_fd"), // or map_fd
                JAVA_INT.withName("target_fd"), // or target_ifindex
                JAVA_INT.withName("attach_type"),
                JAVA_INT.withName("flags"),
                JAVA_INT.withName("target_btf_id"),
                MemoryLayout.paddingLayout(4),
                JAVA_LONG.withName("cookie")).withName("bpf_attr_link_create");
        public static final long PROG_FD = offset(LAYOUT, "prog_fd");
        public static final long TARGET_FD = offset(LAYOUT, "target_fd");
        public static final long ATTACH_TYPE = offset(LAYOUT, "attach_type");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long TARGET_BTF_ID = offset(LAYOUT, "target_btf_id");
        public static final long COOKIE = offset(LAYOUT, "cookie");

        private LinkCreate() {
        }
    }

    /** BPF_BTF_LOAD. */
    public static final class BtfLoad {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("btf"),
                JAVA_LONG.withName("btf_log_buf"),
                JAVA_INT.withName("btf_size"),
                JAVA_INT.withName("btf_log_size"),
                JAVA_INT.withName("btf_log_level"),
                JAVA_INT.withName("btf_log_true_size")).withName("bpf_attr_btf_load");
        public static final long BTF = offset(LAYOUT, "btf");
        public static final long BTF_LOG_BUF = offset(LAYOUT, "btf_log_buf");
        public static final long BTF_SIZE = offset(LAYOUT, "btf_size");
        public static final long BTF_LOG_SIZE = offset(LAYOUT, "btf_log_size");
        public static final long BTF_LOG_LEVEL = offset(LAYOUT, "btf_log_level");
        /** u32, 6.4+. */
        public static final long BTF_LOG_TRUE_SIZE = offset(LAYOUT, "btf_log_true_size");

        private BtfLoad() {
        }
    }

    /** BPF_ENABLE_STATS. */
    public static final class EnableStats {
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("type")).withName("bpf_attr_enable_stats");
        /** BPF_STATS_RUN_TIME (0) is the only type. */
        public static final long TYPE = offset(LAYOUT, "type");

        private EnableStats() {
        }
    }
}
