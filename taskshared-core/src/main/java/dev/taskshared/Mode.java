package dev.taskshared;

/** Which publisher fills the slots. */
public enum Mode {
    /** An eBPF program writes every registered thread's slot at each context switch. Needs CAP_BPF + CAP_PERFMON (or root). */
    BPF(2),
    /** A daemon thread samples /proc at a set interval. Needs no privilege; values are as of the last sample. */
    SAMPLING(1);

    private final int code;

    Mode(int code) {
        this.code = code;
    }

    /** The publisher kind as written in a region header. */
    public int code() {
        return code;
    }

    /** The mode of a header's publisher kind, or null. */
    public static Mode ofCode(int code) {
        for (Mode m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        return null;
    }
}
