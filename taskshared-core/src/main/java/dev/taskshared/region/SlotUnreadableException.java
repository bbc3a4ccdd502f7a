package dev.taskshared.region;

/**
 * A slot whose sequence counter stayed odd, or kept changing, for longer than any write takes: a
 * writer died mid-write, or the region is corrupted. The slot's numbers cannot be trusted.
 */
public final class SlotUnreadableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int tid;

    SlotUnreadableException(int tid, int seq, long triedNanos) {
        super("slot of thread " + tid + " is unreadable: its sequence counter (" + seq + (seq % 2 != 0 ? ", odd" : "")
                + ") did not settle in " + triedNanos / 1_000_000 + " ms of retries (a writer died mid-write, or the region is corrupted)");
        this.tid = tid;
    }

    /** The tid the slot names (may itself be garbage in a corrupted region). */
    public int tid() {
        return tid;
    }
}
