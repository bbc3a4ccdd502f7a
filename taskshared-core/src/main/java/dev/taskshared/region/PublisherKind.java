package dev.taskshared.region;

/**
 * Which kind of publisher fills a region's slots, as the header's {@code publisher_kind} records
 * it (ABI: codes are never reused). The public {@code dev.taskshared.Mode} maps each of its
 * constants to one of these.
 */
public enum PublisherKind {
    /** A daemon thread samples /proc. */
    SAMPLING(1),
    /** BPF programs write each registered thread's slot at every context switch. */
    BPF(2);

    private final int code;

    PublisherKind(int code) {
        this.code = code;
    }

    /** The kind as written in a region header. */
    public int code() {
        return code;
    }

    /** The kind of a header's code, or null for a code a newer version wrote. */
    public static PublisherKind ofCode(int code) {
        for (PublisherKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
