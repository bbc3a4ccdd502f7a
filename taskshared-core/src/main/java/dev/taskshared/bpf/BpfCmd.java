package dev.taskshared.bpf;

/** bpf(2) commands, numbered as {@code enum bpf_cmd} (linux/bpf.h). */
final class BpfCmd {
    static final int MAP_CREATE = 0;
    static final int MAP_LOOKUP_ELEM = 1;
    static final int MAP_UPDATE_ELEM = 2;
    static final int MAP_DELETE_ELEM = 3;
    static final int MAP_GET_NEXT_KEY = 4;
    static final int PROG_LOAD = 5;
    static final int OBJ_PIN = 6;
    static final int OBJ_GET = 7;
    static final int PROG_TEST_RUN = 10;
    static final int PROG_GET_NEXT_ID = 11;
    static final int PROG_GET_FD_BY_ID = 13;
    static final int MAP_GET_FD_BY_ID = 14;
    static final int OBJ_GET_INFO_BY_FD = 15;
    static final int RAW_TRACEPOINT_OPEN = 17;
    static final int BTF_LOAD = 18;
    static final int LINK_GET_FD_BY_ID = 30;
    static final int LINK_GET_NEXT_ID = 31;
    static final int ENABLE_STATS = 32;

    private BpfCmd() {
    }
}
