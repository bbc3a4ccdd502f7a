package dev.taskshared.bpf;

/** The {@code expected_attach_type} values we use, numbered as {@code enum bpf_attach_type}. */
public enum AttachType {
    /** No expectation (0, also BPF_CGROUP_INET_INGRESS, which is what the kernel reads as "none" for tracing). */
    NONE(0),
    /** BPF_TRACE_RAW_TP, for BTF-enabled raw tracepoints ({@code tp_btf}). */
    TRACE_RAW_TP(23),
    TRACE_FENTRY(24),
    TRACE_FEXIT(25);

    public final int value;

    AttachType(int value) {
        this.value = value;
    }
}
