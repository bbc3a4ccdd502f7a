package dev.taskshared.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bpf(2) layouts against the kernel's own header: every offset below was printed with
 * {@code offsetof} by a C program compiled against include/uapi/linux/bpf.h (Debian
 * linux-libc-dev 6.1). Fields newer than 6.1 ({@code log_true_size}, {@code btf_log_true_size},
 * 6.4) follow from the layout of 6.4's header: each is the u32 after the last 6.1 field.
 */
class BpfAttrTest {
    @Test
    void offsetsMatchTheKernelHeader() {
        long[][] expected = {
                {BpfAttr.MapCreate.MAP_TYPE, 0},
                {BpfAttr.MapCreate.KEY_SIZE, 4},
                {BpfAttr.MapCreate.VALUE_SIZE, 8},
                {BpfAttr.MapCreate.MAX_ENTRIES, 12},
                {BpfAttr.MapCreate.MAP_FLAGS, 16},
                {BpfAttr.MapCreate.INNER_MAP_FD, 20},
                {BpfAttr.MapCreate.MAP_NAME, 28},
                {BpfAttr.MapCreate.BTF_FD, 48},
                {BpfAttr.MapCreate.BTF_KEY_TYPE_ID, 52},
                {BpfAttr.MapCreate.BTF_VALUE_TYPE_ID, 56},
                {BpfAttr.MapCreate.MAP_EXTRA, 64},
                {BpfAttr.MapElem.MAP_FD, 0},
                {BpfAttr.MapElem.KEY, 8},
                {BpfAttr.MapElem.VALUE, 16},
                {BpfAttr.MapElem.VALUE, 16},
                {BpfAttr.MapElem.FLAGS, 24},
                {BpfAttr.ProgLoad.PROG_TYPE, 0},
                {BpfAttr.ProgLoad.INSN_CNT, 4},
                {BpfAttr.ProgLoad.INSNS, 8},
                {BpfAttr.ProgLoad.LICENSE, 16},
                {BpfAttr.ProgLoad.LOG_LEVEL, 24},
                {BpfAttr.ProgLoad.LOG_SIZE, 28},
                {BpfAttr.ProgLoad.LOG_BUF, 32},
                {BpfAttr.ProgLoad.PROG_NAME, 48},
                {BpfAttr.ProgLoad.EXPECTED_ATTACH_TYPE, 68},
                {BpfAttr.ProgLoad.PROG_BTF_FD, 72},
                {BpfAttr.ProgLoad.ATTACH_BTF_ID, 108},
                {BpfAttr.ProgTestRun.PROG_FD, 0},
                {BpfAttr.ProgTestRun.RETVAL, 4},
                {BpfAttr.ProgTestRun.DATA_SIZE_IN, 8},
                {BpfAttr.ProgTestRun.DATA_SIZE_OUT, 12},
                {BpfAttr.ProgTestRun.DATA_IN, 16},
                {BpfAttr.ProgTestRun.DATA_OUT, 24},
                {BpfAttr.ProgTestRun.REPEAT, 32},
                {BpfAttr.ProgTestRun.DURATION, 36},
                {BpfAttr.ProgTestRun.CTX_SIZE_IN, 40},
                {BpfAttr.ProgTestRun.CTX_IN, 48},
                {BpfAttr.ObjPin.PATHNAME, 0},
                {BpfAttr.ObjPin.BPF_FD, 8},
                {BpfAttr.ObjPin.FILE_FLAGS, 12},
                {BpfAttr.GetInfo.BPF_FD, 0},
                {BpfAttr.GetInfo.INFO_LEN, 4},
                {BpfAttr.GetInfo.INFO, 8},
                {BpfAttr.GetId.ID, 0},
                {BpfAttr.GetId.NEXT_ID, 4},
                {BpfAttr.GetId.OPEN_FLAGS, 8},
                {BpfAttr.RawTracepointOpen.NAME, 0},
                {BpfAttr.RawTracepointOpen.PROG_FD, 8},
                {BpfAttr.LinkCreate.PROG_FD, 0},
                {BpfAttr.LinkCreate.TARGET_FD, 4},
                {BpfAttr.LinkCreate.ATTACH_TYPE, 8},
                {BpfAttr.LinkCreate.FLAGS, 12},
                {BpfAttr.LinkCreate.TARGET_BTF_ID, 16},
                {BpfAttr.LinkCreate.COOKIE, 24},
                {BpfAttr.BtfLoad.BTF, 0},
                {BpfAttr.BtfLoad.BTF_LOG_BUF, 8},
                {BpfAttr.BtfLoad.BTF_SIZE, 16},
                {BpfAttr.BtfLoad.BTF_LOG_SIZE, 20},
                {BpfAttr.BtfLoad.BTF_LOG_LEVEL, 24},
                {BpfAttr.EnableStats.TYPE, 0},
                {BpfInfo.Prog.TYPE, 0},
                {BpfInfo.Prog.ID, 4},
                {BpfInfo.Prog.TAG, 8},
                {BpfInfo.Prog.JITED_PROG_LEN, 16},
                {BpfInfo.Prog.XLATED_PROG_LEN, 20},
                {BpfInfo.Prog.NAME, 64},
                {BpfInfo.Prog.RUN_TIME_NS, 192},
                {BpfInfo.Prog.RUN_CNT, 200},
                {BpfInfo.Prog.RECURSION_MISSES, 208},
                {BpfInfo.Prog.VERIFIED_INSNS, 216},
                {BpfInfo.Map.TYPE, 0},
                {BpfInfo.Map.ID, 4},
                {BpfInfo.Map.KEY_SIZE, 8},
                {BpfInfo.Map.VALUE_SIZE, 12},
                {BpfInfo.Map.MAX_ENTRIES, 16},
                {BpfInfo.Map.MAP_FLAGS, 20},
                {BpfInfo.Map.NAME, 24},
                {BpfInfo.Map.BTF_ID, 64},
                {BpfInfo.Map.MAP_EXTRA, 80},
                {BpfInfo.Link.TYPE, 0},
                {BpfInfo.Link.ID, 4},
                {BpfInfo.Link.PROG_ID, 8},
        };
        for (int i = 0; i < expected.length; i++) {
            assertThat(expected[i][0]).as("row " + i).isEqualTo(expected[i][1]);
        }
        assertThat(BpfAttr.ProgLoad.LOG_TRUE_SIZE).isEqualTo(140);
        assertThat(BpfAttr.BtfLoad.BTF_LOG_TRUE_SIZE).isEqualTo(28);
    }

    @Test
    void infoRecordsAreAtLeastWhatTheCodeReads() {
        assertThat(BpfInfo.Map.LAYOUT.byteSize()).isEqualTo(88); // sizeof(struct bpf_map_info) on 6.1
        assertThat(BpfInfo.Prog.LAYOUT.byteSize()).isEqualTo(224); // through verified_insns; 6.1's is 232
        assertThat(BpfInfo.Link.LAYOUT.byteSize()).isEqualTo(64);
    }

    /** One attr size serves every command: each command's part fits in it. */
    @Test
    void everyCommandFitsInTheAttrWePass() {
        List<StructLayout> attrs = List.of(BpfAttr.MapCreate.LAYOUT, BpfAttr.MapElem.LAYOUT, BpfAttr.ProgLoad.LAYOUT,
                BpfAttr.ProgTestRun.LAYOUT, BpfAttr.ObjPin.LAYOUT, BpfAttr.GetInfo.LAYOUT, BpfAttr.GetId.LAYOUT,
                BpfAttr.RawTracepointOpen.LAYOUT, BpfAttr.LinkCreate.LAYOUT, BpfAttr.BtfLoad.LAYOUT,
                BpfAttr.EnableStats.LAYOUT);
        for (StructLayout l : attrs) {
            assertThat(l.byteSize()).as(l.name().orElseThrow()).isLessThanOrEqualTo(Bpf.ATTR_SIZE);
        }
        assertThat(BpfAttr.ProgLoad.LAYOUT.byteSize()).isEqualTo(144);
    }
}
