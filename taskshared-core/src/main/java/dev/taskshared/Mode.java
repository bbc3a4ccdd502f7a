package dev.taskshared;

import dev.taskshared.region.PublisherKind;

/** Which publisher fills the slots. */
public enum Mode {
    /** An eBPF program writes every registered thread's slot at each context switch. Needs CAP_BPF + CAP_PERFMON (or root). */
    BPF(PublisherKind.BPF),
    /** A daemon thread samples /proc at a set interval. Needs no privilege; values are as of the last sample. */
    SAMPLING(PublisherKind.SAMPLING);

    private final PublisherKind kind;

    Mode(PublisherKind kind) {
        this.kind = kind;
    }

    /** The publisher kind as written in a region header (declared in {@code region.PublisherKind}). */
    public int code() {
        return kind.code();
    }

    /** The mode of a header's publisher kind, or null. */
    public static Mode ofCode(int code) {
        for (Mode m : values()) {
            if (m.kind.code() == code) {
                return m;
            }
        }
        return null;
    }

    /** The mode of a publisher of {@code kind}. */
    static Mode of(PublisherKind kind) {
        for (Mode m : values()) {
            if (m.kind == kind) {
                return m;
            }
        }
        throw new IllegalArgumentException("no mode for publisher kind " + kind);
    }
}
