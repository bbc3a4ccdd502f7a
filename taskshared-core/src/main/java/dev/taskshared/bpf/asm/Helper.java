package dev.taskshared.bpf.asm;

/** The BPF helper functions we call, with their numbers from {@code enum bpf_func_id} (linux/bpf.h). */
public enum Helper {
    MAP_LOOKUP_ELEM(1),
    MAP_UPDATE_ELEM(2),
    MAP_DELETE_ELEM(3),
    PROBE_READ(4),
    KTIME_GET_NS(5),
    TRACE_PRINTK(6),
    GET_SMP_PROCESSOR_ID(8),
    GET_CURRENT_PID_TGID(14),
    GET_CURRENT_UID_GID(15),
    GET_CURRENT_COMM(16),
    GET_CURRENT_TASK(35),
    PROBE_READ_KERNEL(113),
    PROBE_READ_KERNEL_STR(115),
    RINGBUF_OUTPUT(130),
    RINGBUF_RESERVE(131),
    RINGBUF_SUBMIT(132),
    RINGBUF_DISCARD(133),
    TASK_STORAGE_GET(156),
    GET_CURRENT_TASK_BTF(158),
    KTIME_GET_BOOT_NS(125);

    public final int id;

    Helper(int id) {
        this.id = id;
    }

    /** The helper numbered {@code id}, or null. */
    public static Helper byId(long id) {
        for (Helper h : values()) {
            if (h.id == id) {
                return h;
            }
        }
        return null;
    }

    /** Name as the kernel spells it, for example {@code map_lookup_elem}. */
    public String kernelName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
