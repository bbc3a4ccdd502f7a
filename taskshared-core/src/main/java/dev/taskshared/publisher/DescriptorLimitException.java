package dev.taskshared.publisher;

/**
 * A registration was refused because it would take the process too close to its descriptor
 * limit; the application's own descriptors are untouched and the library keeps working for
 * threads already registered.
 */
public final class DescriptorLimitException extends IllegalStateException {
    private final long limit;
    private final long margin;

    public DescriptorLimitException(String message, long limit, long margin) {
        super(message);
        this.limit = limit;
        this.margin = margin;
    }

    /** The soft RLIMIT_NOFILE at the time. */
    public long limit() {
        return limit;
    }

    /** Descriptors kept free below it. */
    public long margin() {
        return margin;
    }
}
