package dev.taskshared.publisher;

import dev.taskshared.sys.Libc;

/**
 * Keeps the library away from the process's descriptor limit. The kernel gives every new
 * descriptor the lowest free number, so a descriptor numbered {@code n} means 0..n-1 are all in
 * use; the library refuses to keep (or briefly hold) any descriptor numbered at or above
 * {@code RLIMIT_NOFILE - margin}. The top {@code margin} numbers are thus never taken by the
 * library, and the application can still open that many files when registrations start failing.
 *
 * <p>The soft limit is read at every check (getrlimit, ~100 ns), because the application may
 * change it while running. Immutable and thread-safe.
 */
public final class DescriptorLimit {
    /** System property: descriptors kept free for the application (default: 10% of the limit, at least 64). */
    public static final String MARGIN_PROPERTY = "taskshared.fdMargin";
    /** The smallest default margin. */
    public static final int MIN_DEFAULT_MARGIN = 64;

    /** The margin in descriptors, or -1 for the default (10% of the limit, at least {@link #MIN_DEFAULT_MARGIN}). */
    private final int margin;

    private DescriptorLimit(int margin) {
        this.margin = margin;
    }

    /** A fixed margin of {@code margin} descriptors below the soft RLIMIT_NOFILE. */
    public static DescriptorLimit margin(int margin) {
        if (margin < 0) {
            throw new IllegalArgumentException("descriptor margin must be >= 0, got " + margin);
        }
        return new DescriptorLimit(margin);
    }

    /** 10% of the soft limit, at least {@value #MIN_DEFAULT_MARGIN} descriptors. */
    public static DescriptorLimit defaultMargin() {
        return new DescriptorLimit(-1);
    }

    /** From {@value #MARGIN_PROPERTY} if set, else the default. */
    public static DescriptorLimit fromSystemProperties() {
        String v = System.getProperty(MARGIN_PROPERTY);
        if (v == null || v.isBlank()) {
            return defaultMargin();
        }
        try {
            return margin(Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MARGIN_PROPERTY + "=" + v + ": expected a number of descriptors", e);
        }
    }

    /** The margin that applies under soft limit {@code softLimit}. */
    public long marginUnder(long softLimit) {
        return margin >= 0 ? margin : Math.max(MIN_DEFAULT_MARGIN, softLimit / 10);
    }

    /**
     * The lowest descriptor number the library may not hold now: the soft limit minus the
     * margin ({@link Long#MAX_VALUE} without a limit). One getrlimit call.
     */
    public long ceiling() {
        long soft = Libc.softLimit(Libc.RLIMIT_NOFILE);
        return soft == Libc.RLIM_INFINITY ? Long.MAX_VALUE : soft - marginUnder(soft);
    }

    /** Whether the library may keep descriptor {@code fd}: false when it is at or above {@link #ceiling()}. */
    public boolean allows(int fd) {
        return fd < ceiling();
    }

    /**
     * Returns {@code fd} if the library may keep it; otherwise closes it and throws.
     *
     * @param what what the descriptor was for, for the message
     * @throws DescriptorLimitException naming the limit and the margin
     */
    public int check(int fd, String what) {
        if (allows(fd)) {
            return fd;
        }
        Libc.closeQuietly(fd);
        long soft = Libc.softLimit(Libc.RLIMIT_NOFILE);
        long m = marginUnder(soft);
        throw new DescriptorLimitException(String.format(
                "%s refused: the lowest free descriptor is number %,d, RLIMIT_NOFILE is %,d, and taskshared leaves the top %,d"
                        + " to the application (raise the limit with `ulimit -n`, or set -D%s / TaskShared.Builder.descriptorMargin)",
                what, (long) fd, soft, m, MARGIN_PROPERTY), soft, m);
    }

    @Override
    public String toString() {
        return margin >= 0 ? margin + " descriptors" : "10% of the limit, at least " + MIN_DEFAULT_MARGIN;
    }
}
