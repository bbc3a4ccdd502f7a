package dev.taskshared.bpf;

/** Program types, numbered as {@code enum bpf_prog_type} (linux/bpf.h). */
public enum ProgramType {
    SOCKET_FILTER(1), KPROBE(2), TRACEPOINT(5), PERF_EVENT(7), RAW_TRACEPOINT(17), TRACING(26), SYSCALL(31);

    public final int value;

    ProgramType(int value) {
        this.value = value;
    }

    public static ProgramType of(int value) {
        for (ProgramType t : values()) {
            if (t.value == value) {
                return t;
            }
        }
        return null;
    }
}
