package dev.taskshared.sys;

import java.util.Locale;

/**
 * The facts of the machine the library runs on that differ between Linux architectures, in one
 * table: system call numbers, the flag values and struct packings that are not the same
 * everywhere, the rseq signature, and where glibc's thread pointer is. Everything else the library
 * passes to the kernel is shared by both architectures (asm-generic values on aarch64, equal to
 * x86-64's). Page size is not a constant: {@link #pageSize()} asks the system.
 *
 * <p>Supported: Linux on x86-64 ({@code amd64}) and aarch64 ({@code arm64}, little-endian). Tested:
 * x86-64 only. aarch64's numbers are from the kernel's uapi headers (Debian's linux-libc-dev for
 * arm64: {@code asm-generic/unistd.h}, {@code asm/fcntl.h}, {@code linux/eventpoll.h}) and glibc's
 * {@code RSEQ_SIG}. Anywhere else {@link #current()} throws {@link UnsupportedOperationException}
 * with the reason, at the first use of the library. Immutable and thread-safe.
 */
public final class Platform {

    /** System call numbers ({@code __NR_*}) the library uses through {@code syscall(2)}. */
    public record Syscalls(long bpf, long epollCreate1, long epollCtl, long epollPwait, long eventfd2, long rseq,
                           long pidfdOpen, long getrusage) {
    }

    /** x86-64: arch/x86/entry/syscalls/syscall_64.tbl (asm/unistd_64.h). */
    static final Platform X86_64 = new Platform("x86-64",
            new Syscalls(321, 291, 233, 281, 290, 334, 434, 98),
            0400000, true, 0x53053053, false);

    /** aarch64: asm-generic/unistd.h (there is no epoll_wait, only epoll_pwait). */
    static final Platform AARCH64 = new Platform("aarch64",
            new Syscalls(280, 20, 21, 22, 19, 293, 434, 165),
            0100000, false, 0xd428bc00, true);

    private static final Platform CURRENT;
    private static final String UNSUPPORTED;

    static {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        Platform p = null;
        String why = null;
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            why = "taskshared runs on Linux only; this JVM runs on " + os + " (" + arch + ")";
        } else {
            p = forArch(arch);
            if (p == null) {
                why = "taskshared supports Linux on x86-64 (amd64) and aarch64; this JVM runs on " + arch
                        + ": its system call numbers are not in dev.taskshared.sys.Platform";
            }
        }
        CURRENT = p;
        UNSUPPORTED = why;
    }

    private final String name;
    private final Syscalls syscalls;
    private final int oNofollow;
    private final boolean epollEventPacked;
    private final int rseqSignature;
    private final boolean threadPointerAfterPthread;

    private Platform(String name, Syscalls syscalls, int oNofollow, boolean epollEventPacked, int rseqSignature,
                     boolean threadPointerAfterPthread) {
        this.name = name;
        this.syscalls = syscalls;
        this.oNofollow = oNofollow;
        this.epollEventPacked = epollEventPacked;
        this.rseqSignature = rseqSignature;
        this.threadPointerAfterPthread = threadPointerAfterPthread;
    }

    /** The table for a JVM {@code os.arch} value, or null when the library does not support it. */
    static Platform forArch(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> null;
        };
    }

    /**
     * The platform this JVM runs on.
     *
     * @throws UnsupportedOperationException on an operating system or architecture the library
     *     does not support, saying which
     */
    public static Platform current() {
        if (CURRENT == null) {
            throw new UnsupportedOperationException(UNSUPPORTED);
        }
        return CURRENT;
    }

    /** Empty when {@link #current()} works; otherwise why not, for {@code doctor}. */
    public static java.util.Optional<String> unsupportedReason() {
        return java.util.Optional.ofNullable(UNSUPPORTED);
    }

    /** The architecture's name: {@code x86-64} or {@code aarch64}. */
    public String name() {
        return name;
    }

    public Syscalls syscalls() {
        return syscalls;
    }

    /** {@code O_NOFOLLOW}: 0400000 on x86-64, 0100000 on aarch64 (arch/arm64/include/uapi/asm/fcntl.h). */
    public int oNofollow() {
        return oNofollow;
    }

    /**
     * {@code struct epoll_event} ({@code u32 events; u64 data}) is packed on x86-64 only
     * ({@code EPOLL_PACKED}): 12 bytes with data at 4 there, 16 bytes with data at 8 elsewhere.
     */
    public long epollEventSize() {
        return epollEventPacked ? 12 : 16;
    }

    /** Offset of {@code data} in {@code struct epoll_event}; see {@link #epollEventSize()}. */
    public long epollEventDataOffset() {
        return epollEventPacked ? 4 : 8;
    }

    /** {@code RSEQ_SIG}: the word the kernel checks before an rseq abort handler. */
    public int rseqSignature() {
        return rseqSignature;
    }

    /**
     * Where the thread pointer is relative to {@code pthread_self()}, which is where glibc's
     * {@code __rseq_offset} counts from. x86-64 (TLS variant II): the thread pointer is
     * {@code pthread_self()}. aarch64 (variant I): {@code struct pthread} sits just below it, so it
     * is {@code pthread_self() + sizeof(struct pthread)}; glibc publishes that size for debuggers as
     * {@code _thread_db_sizeof_pthread}.
     */
    boolean threadPointerAfterPthread() {
        return threadPointerAfterPthread;
    }

    /** The system's page size in bytes ({@code getpagesize(2)}, asked once): 4096 on x86-64, 4, 16 or 64 KiB on aarch64. */
    public static long pageSize() {
        return PageSize.VALUE;
    }

    /** Holder: the downcall happens on first use. */
    private static final class PageSize {
        static final long VALUE = Libc.getpagesize();
    }

    @Override
    public String toString() {
        return name;
    }
}
