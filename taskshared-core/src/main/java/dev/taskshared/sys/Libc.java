package dev.taskshared.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Every libc downcall of the library, and the only place that uses {@link Linker}. Methods throw
 * {@link ErrnoException} with the errno captured by that very call (never a shared static).
 *
 * <p>Costs: a downcall is about 10-20 ns on top of what the function itself does; the calls that
 * enter the kernel say so.
 */
public final class Libc {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final AddressLayout C_STRING = ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));

    private static final System.Logger LOG = System.getLogger(Libc.class.getName());
    private static final java.util.concurrent.atomic.AtomicLong CLEANUP_FAILURES = new java.util.concurrent.atomic.AtomicLong();

    /** Per-thread errno capture buffer: a call's errno is read by the thread that made it. */
    private static final ThreadLocal<MemorySegment> CAPTURE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    // open(2) flags and friends: the same on every supported architecture but O_NOFOLLOW (Platform).
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_NOFOLLOW = Platform.current().oNofollow();

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int MAP_PRIVATE = 2;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final long MAP_FAILED = -1L;

    public static final int CLOCK_MONOTONIC = 1;
    public static final int CLOCK_THREAD_CPUTIME_ID = 3;

    static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(C_STRING, JAVA_INT));
    static final MethodHandle STRERRORNAME_NP = handle("strerrorname_np", FunctionDescriptor.of(C_STRING, JAVA_INT));

    private static final MethodHandle SYSCALL = LINKER.downcallHandle(symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    private static final MethodHandle OPEN = LINKER.downcallHandle(symbol("open"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = errnoHandle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = errnoHandle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = errnoHandle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PREAD = errnoHandle("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FTRUNCATE = errnoHandle("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle UNLINK = errnoHandle("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle MOUNT = errnoHandle("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle MMAP = errnoHandle("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = errnoHandle("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle GETTID = handle("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPID = handle("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SCHED_GETCPU = errnoHandle("sched_getcpu", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SCHED_SETAFFINITY = errnoHandle("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SCHED_GETAFFINITY = errnoHandle("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle PTHREAD_SELF = handle("pthread_self", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle GET_NPROCS_CONF = handle("get_nprocs_conf", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPAGESIZE = handle("getpagesize", FunctionDescriptor.of(JAVA_INT));
    /** clock_gettime without errno capture: it cannot fail for the clocks we pass, and it is on a measured path. */
    private static final MethodHandle CLOCK_GETTIME = LINKER.downcallHandle(symbol("clock_gettime"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.critical(false));

    /** struct timespec { long tv_sec; long tv_nsec; }, one per thread, for clock_gettime. */
    private static final ThreadLocal<MemorySegment> TIMESPEC = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(16, 8));

    private Libc() {
    }

    // ---------------------------------------------------------------------------------- lookup

    static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    static Optional<MemorySegment> optionalSymbol(String name) {
        return LOOKUP.find(name);
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(name), fd);
    }

    private static MethodHandle errnoHandle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(name), fd, CAPTURE_ERRNO);
    }

    static MemorySegment captureSegment() {
        return CAPTURE.get();
    }

    static int lastErrno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static String cString(MemorySegment s) {
        return s.getString(0, StandardCharsets.UTF_8);
    }

    /** What a failed downcall threw, as an unchecked exception (Errors propagate as they are). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private static long check(String op, long rc, MemorySegment capture) {
        if (rc == -1) {
            throw new ErrnoException(op, lastErrno(capture));
        }
        return rc;
    }

    // --------------------------------------------------------------------------------- syscall

    /**
     * The raw {@code syscall(2)}: returns its result or throws with the errno of this call.
     * Unused arguments are passed as 0.
     */
    public static long syscall(String op, long number, long a1, long a2, long a3, long a4, long a5, long a6) {
        MemorySegment capture = captureSegment();
        try {
            return check(op, (long) SYSCALL.invokeExact(capture, number, a1, a2, a3, a4, a5, a6), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Like {@link #syscall} but returns {@code -errno} instead of throwing, for callers that retry. */
    public static long syscallRaw(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
        MemorySegment capture = captureSegment();
        try {
            long rc = (long) SYSCALL.invokeExact(capture, number, a1, a2, a3, a4, a5, a6);
            return rc == -1 ? -lastErrno(capture) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------------------------ files

    /** open(2). The caller owns the descriptor. */
    public static int open(String path, int flags, int mode) {
        MemorySegment capture = captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), flags, mode);
            if (fd < 0) {
                throw new ErrnoException("open(" + path + ")", lastErrno(capture));
            }
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void close(int fd) {
        MemorySegment capture = captureSegment();
        try {
            check("close", (int) CLOSE.invokeExact(capture, fd), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * close(2) for cleanup paths, where a failure cannot be acted on: the descriptor is released
     * whatever close reports. EBADF means it was closed twice, a bug, logged at WARNING; other
     * errors (EIO, EINTR) at DEBUG. Counted in {@link #closeFailures()}.
     */
    public static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        MemorySegment capture = captureSegment();
        int rc;
        try {
            rc = (int) CLOSE.invokeExact(capture, fd); // the cast makes the call site exact
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc != 0) {
            noteCleanupFailure("close(" + fd + ")", lastErrno(capture));
        }
    }

    /** Failed close(2) and munmap(2) calls on cleanup paths since start (see {@link #closeQuietly}). */
    public static long closeFailures() {
        return CLEANUP_FAILURES.get();
    }

    private static void noteCleanupFailure(String op, int errno) {
        CLEANUP_FAILURES.incrementAndGet();
        LOG.log(errno == Errno.EBADF || errno == Errno.EINVAL ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                () -> op + " failed: " + Errno.name(errno) + " (" + Errno.describe(errno) + ")");
    }

    /** pread(2) into {@code buf}; returns bytes read. Retries EINTR. */
    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment capture = captureSegment();
        try {
            while (true) {
                long n = (long) PREAD.invokeExact(capture, fd, buf, count, offset);
                if (n >= 0) {
                    return n;
                }
                int errno = lastErrno(capture);
                if (errno != Errno.EINTR) { // a signal interrupted us; nothing was read, so ask again
                    throw new ErrnoException("pread", errno);
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2); returns bytes read or {@code -errno}. */
    public static long readRaw(int fd, MemorySegment buf, long count) {
        MemorySegment capture = captureSegment();
        try {
            long n = (long) READ.invokeExact(capture, fd, buf, count);
            return n >= 0 ? n : -lastErrno(capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2); returns bytes written. */
    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment capture = captureSegment();
        try {
            return check("write", (long) WRITE.invokeExact(capture, fd, buf, count), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void ftruncate(int fd, long length) {
        MemorySegment capture = captureSegment();
        try {
            check("ftruncate", (int) FTRUNCATE.invokeExact(capture, fd, length), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void unlink(String path) {
        MemorySegment capture = captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            check("unlink(" + path + ")", (int) UNLINK.invokeExact(capture, arena.allocateFrom(path)), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * mount(2) of a file system with no source device and no options, for example the BPF file
     * system: {@code mount("bpf", "/sys/fs/bpf", "bpf", 0)}. Needs CAP_SYS_ADMIN.
     */
    public static void mount(String source, String target, String fsType, long flags) {
        MemorySegment capture = captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            check("mount(" + source + ", " + target + ", " + fsType + ")", (int) MOUNT.invokeExact(capture, arena.allocateFrom(source),
                    arena.allocateFrom(target), arena.allocateFrom(fsType), flags, MemorySegment.NULL), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ----------------------------------------------------------------------------------- memory

    /** mmap(2); returns the address. */
    private static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment capture = captureSegment();
        try {
            long a = (long) MMAP.invokeExact(capture, addr, length, prot, flags, fd, offset);
            if (a == MAP_FAILED) {
                throw new ErrnoException("mmap", lastErrno(capture));
            }
            return a;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void munmap(long addr, long length) {
        MemorySegment capture = captureSegment();
        try {
            check("munmap", (int) MUNMAP.invokeExact(capture, addr, length), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A segment over native memory at {@code address}. The caller vouches that {@code size} bytes
     * are mapped there for as long as the segment is used (for example, an mmap it owns).
     */
    public static MemorySegment segmentAt(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    /**
     * Maps {@code length} bytes of {@code fd} and returns them as a segment of {@code arena}: the
     * mapping is removed when the arena closes, and any later access throws instead of faulting.
     */
    public static MemorySegment mmapSegment(Arena arena, long length, int prot, int flags, int fd, long offset) {
        long address = mmap(0, length, prot, flags, fd, offset);
        return MemorySegment.ofAddress(address).reinterpret(length, arena, s -> munmapQuietly(address, length));
    }

    /** munmap(2) when an arena closes: EINVAL would mean a wrong address or length, a bug (logged, counted). */
    private static void munmapQuietly(long address, long length) {
        MemorySegment capture = captureSegment();
        int rc;
        try {
            rc = (int) MUNMAP.invokeExact(capture, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc != 0) {
            noteCleanupFailure("munmap(0x" + Long.toHexString(address) + ", " + length + ")", lastErrno(capture));
        }
    }

    // ---------------------------------------------------------------------------- threads, cpus

    /** gettid(2): the calling thread's kernel id. A syscall. */
    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final long SYS_PIDFD_OPEN = Platform.current().syscalls().pidfdOpen();
    /** PIDFD_THREAD (6.9+): the pidfd names the thread {@code tid}, not its thread group. */
    public static final int PIDFD_THREAD = 0x80;

    /**
     * pidfd_open(tid, PIDFD_THREAD): a descriptor (always close-on-exec) naming thread {@code tid}
     * of the caller's PID namespace, the caller's to close. Returns the descriptor or {@code -errno}
     * (ESRCH: no such thread; EINVAL: a kernel before 6.9 without PIDFD_THREAD).
     */
    public static int pidfdOpenThread(int tid) {
        return (int) syscallRaw(SYS_PIDFD_OPEN, tid, PIDFD_THREAD, 0, 0, 0, 0);
    }

    private static final long SYS_GETRUSAGE = Platform.current().syscalls().getrusage();
    private static final int RUSAGE_THREAD = 1;
    /** struct rusage: 2 timevals, then 14 longs of which ru_nvcsw is the 13th and ru_nivcsw the 14th. */
    private static final long RU_NVCSW = 128, RU_NIVCSW = 136, RUSAGE_SIZE = 144;
    private static final ThreadLocal<MemorySegment> RUSAGE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(RUSAGE_SIZE, 8));

    /**
     * The calling thread's context switches so far, voluntary plus involuntary
     * (getrusage(RUSAGE_THREAD): the kernel's nvcsw + nivcsw). No allocation after the first call.
     */
    public static long threadSwitches() {
        MemorySegment ru = RUSAGE.get();
        syscall("getrusage(RUSAGE_THREAD)", SYS_GETRUSAGE, RUSAGE_THREAD, ru.address(), 0, 0, 0, 0);
        return ru.get(JAVA_LONG, RU_NVCSW) + ru.get(JAVA_LONG, RU_NIVCSW);
    }

    /** The calling thread's voluntary and involuntary context switches into {@code out[0..1]} (getrusage(RUSAGE_THREAD)). */
    public static void threadSwitches(long[] out) {
        MemorySegment ru = RUSAGE.get();
        syscall("getrusage(RUSAGE_THREAD)", SYS_GETRUSAGE, RUSAGE_THREAD, ru.address(), 0, 0, 0, 0);
        out[0] = ru.get(JAVA_LONG, RU_NVCSW);
        out[1] = ru.get(JAVA_LONG, RU_NIVCSW);
    }

    /** sched_getcpu(3): glibc reads it from rseq when registered, else vDSO getcpu. */
    public static int schedGetcpu() {
        MemorySegment capture = captureSegment();
        try {
            return (int) check("sched_getcpu", (int) SCHED_GETCPU.invokeExact(capture), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pthread_self(3): the address of the calling thread's struct pthread. */
    public static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Number of configured CPUs. */
    public static int nprocsConf() {
        try {
            return (int) GET_NPROCS_CONF.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getpagesize(2): the system's page size in bytes (glibc answers from the auxiliary vector, no syscall). */
    static int getpagesize() {
        try {
            return (int) GETPAGESIZE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Pins thread {@code tid} (0 = caller) to exactly {@code cpus}. */
    public static void setAffinity(int tid, int... cpus) {
        MemorySegment capture = captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128, 8); // 1024 CPUs, glibc's cpu_set_t
            for (int cpu : cpus) {
                long word = mask.get(JAVA_LONG, (cpu / 64) * 8L);
                mask.set(JAVA_LONG, (cpu / 64) * 8L, word | (1L << (cpu % 64)));
            }
            check("sched_setaffinity", (int) SCHED_SETAFFINITY.invokeExact(capture, tid, 128L, mask), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The CPUs thread {@code tid} (0 = caller) may run on. */
    public static int[] getAffinity(int tid) {
        MemorySegment capture = captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128, 8);
            check("sched_getaffinity", (int) SCHED_GETAFFINITY.invokeExact(capture, tid, 128L, mask), capture);
            return java.util.stream.IntStream.range(0, 1024)
                    .filter(cpu -> (mask.get(JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0).toArray();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ----------------------------------------------------------------------------------- clocks

    /**
     * clock_gettime(2) in nanoseconds. {@link #CLOCK_THREAD_CPUTIME_ID} enters the kernel (the
     * vDSO does not serve it); {@link #CLOCK_MONOTONIC} does not. No allocation.
     */
    public static long clockGettimeNanos(int clock) {
        return clockGettimeNanos(clock, TIMESPEC.get());
    }

    /**
     * clock_gettime(2) in nanoseconds, into the caller's {@code timespec} (16 bytes, 8-aligned,
     * used by one thread at a time): for paths that must not look up a thread-local, such as the
     * virtual-thread mount hooks (a thread-local there would be the virtual thread's). No allocation.
     */
    public static long clockGettimeNanos(int clock, MemorySegment ts) {
        try {
            int rc = (int) CLOCK_GETTIME.invokeExact(clock, ts);
            if (rc != 0) {
                throw new IllegalStateException("clock_gettime(" + clock + ") failed");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return ts.get(JAVA_LONG, 0) * 1_000_000_000L + ts.get(JAVA_LONG, 8);
    }

    /** The calling thread's CPU time in nanoseconds, exact (the kernel updates it on the call). */
    public static long threadCpuTimeNanos() {
        return clockGettimeNanos(CLOCK_THREAD_CPUTIME_ID);
    }

    /**
     * Thread {@code tid}'s CPU time in nanoseconds (of this process: the kernel resolves the tid
     * in the caller's PID namespace), through its CPU-time clock
     * MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED). Throws ErrnoException (EINVAL) when it is gone.
     */
    public static long threadCpuTimeNanos(int tid) {
        return clockGettimeNanos((~tid << 3) | 6);
    }

    // ------------------------------------------------------------ descriptor limit, memfd (issue 11)

    /** getrlimit(2) resource: the number of open descriptors (one more than the highest allowed). */
    public static final int RLIMIT_NOFILE = 7;
    /** RLIM_INFINITY: no limit (as a signed long, ~0UL). */
    public static final long RLIM_INFINITY = -1L;
    /** memfd_create(2) flag: the descriptor is closed on exec (no child program inherits the region). */
    public static final int MFD_CLOEXEC = 1;

    private static final MethodHandle GETRLIMIT = errnoHandle("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETRLIMIT = errnoHandle("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle MEMFD_CREATE = errnoHandle("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle OPEN_SEGMENT = LINKER.downcallHandle(symbol("open"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    /** struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }, one per thread. */
    private static final ThreadLocal<MemorySegment> RLIMIT = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(16, 8));

    /** A resource limit: {@code soft} is what the kernel enforces, {@code hard} the ceiling for soft; {@link #RLIM_INFINITY} for none. */
    public record Rlimit(long soft, long hard) {
    }

    /** getrlimit(2). A syscall (~100 ns). */
    public static Rlimit getrlimit(int resource) {
        MemorySegment r = fillRlimit(resource);
        return new Rlimit(r.get(JAVA_LONG, 0), r.get(JAVA_LONG, 8));
    }

    /** The soft limit of {@code resource} alone, without allocating: for checks on a registration path. */
    public static long softLimit(int resource) {
        return fillRlimit(resource).get(JAVA_LONG, 0);
    }

    private static MemorySegment fillRlimit(int resource) {
        MemorySegment capture = captureSegment();
        MemorySegment r = RLIMIT.get();
        try {
            check("getrlimit(" + resource + ")", (int) GETRLIMIT.invokeExact(capture, resource, r), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return r;
    }

    /** setrlimit(2) for the whole process (raising the hard limit needs CAP_SYS_RESOURCE). */
    public static void setrlimit(int resource, Rlimit limit) {
        MemorySegment capture = captureSegment();
        MemorySegment r = RLIMIT.get();
        r.set(JAVA_LONG, 0, limit.soft());
        r.set(JAVA_LONG, 8, limit.hard());
        try {
            check("setrlimit(" + resource + ")", (int) SETRLIMIT.invokeExact(capture, resource, r), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * memfd_create(2): an anonymous file with no name in any file system (it shows as
     * {@code /memfd:<name> (deleted)} in /proc/&lt;pid&gt;/fd), freed when its last descriptor and
     * mapping go. The caller owns the descriptor.
     */
    public static int memfdCreate(String name, int flags) {
        MemorySegment capture = captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) MEMFD_CREATE.invokeExact(capture, arena.allocateFrom(name), flags);
            if (fd < 0) {
                throw new ErrnoException("memfd_create(" + name + ")", lastErrno(capture));
            }
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * open(2) of a NUL-terminated path already in native memory: no allocation, for paths a
     * caller opens often. Returns the descriptor or {@code -errno}.
     */
    public static int openRaw(MemorySegment cPath, int flags) {
        MemorySegment capture = captureSegment();
        try {
            int fd = (int) OPEN_SEGMENT.invokeExact(capture, cPath, flags, 0);
            return fd >= 0 ? fd : -lastErrno(capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
