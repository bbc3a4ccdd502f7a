package dev.taskshared.sys;

/**
 * A system or library call failed with {@code errno}. Carries the operation, the number and its
 * symbolic name ({@code EPERM}, {@code ENOENT}, ...), so that callers can branch on the cause and
 * users see what the kernel said.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int errno;

    public ErrnoException(String operation, int errno) {
        this(operation, errno, null);
    }

    public ErrnoException(String operation, int errno, String detail) {
        super(operation + ": " + Errno.name(errno) + " (" + Errno.describe(errno) + ")"
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.operation = operation;
        this.errno = errno;
    }

    /** The failed operation, for example {@code bpf(BPF_PROG_LOAD)}. */
    public String operation() {
        return operation;
    }

    /** The error number. */
    public int errno() {
        return errno;
    }

    /** The symbolic name of {@link #errno()}, for example {@code EPERM}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
