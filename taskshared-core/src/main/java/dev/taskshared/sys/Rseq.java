package dev.taskshared.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The calling thread's rseq area ({@code struct rseq}, linux/rseq.h), where the kernel keeps
 * {@code cpu_id} current on every return to user space.
 *
 * <pre>
 *  0 u32 cpu_id_start   4 u32 cpu_id   8 u64 rseq_cs   16 u32 flags   20 u32 node_id   24 u32 mm_cid
 * </pre>
 *
 * glibc >= 2.35 registers one per thread at {@code thread pointer + __rseq_offset} (where the
 * thread pointer is, per architecture: {@link Platform}); where it did not (old glibc, or
 * {@code GLIBC_TUNABLES=glibc.pthread.rseq=0}) we register our own.
 */
public final class Rseq {
    /** Offset of {@code u32 cpu_id}: -1 (RSEQ_CPU_ID_UNINITIALIZED) until the first return to user space. */
    public static final long CPU_ID_OFFSET = 4;
    public static final long NODE_ID_OFFSET = 20;
    private static final long AREA_SIZE = 32;
    private static final long SYS_RSEQ = Platform.current().syscalls().rseq();
    /** What the kernel checks before an abort handler; we never use critical sections, but must pass it. */
    private static final int RSEQ_SIG = Platform.current().rseqSignature();

    private static final long GLIBC_OFFSET;
    private static final int GLIBC_SIZE;

    static {
        long offset = 0;
        int size = 0;
        try {
            var off = Libc.optionalSymbol("__rseq_offset");
            var sz = Libc.optionalSymbol("__rseq_size");
            if (off.isPresent() && sz.isPresent()) {
                offset = off.get().reinterpret(8).get(JAVA_LONG, 0);
                size = sz.get().reinterpret(4).get(JAVA_INT, 0);
            }
        } catch (RuntimeException e) {
            // glibc's symbols exist but cannot be read: register our own area instead, and say so
            System.getLogger(Rseq.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot read glibc's __rseq_offset/__rseq_size; taskshared registers its own rseq areas", e);
            size = 0;
        }
        GLIBC_OFFSET = offset;
        GLIBC_SIZE = size;
    }

    /** sizeof(struct pthread) where the thread pointer follows it (aarch64), else 0; -1 when glibc does not say. */
    private static final long PTHREAD_SIZE = pthreadSize();

    private static long pthreadSize() {
        if (!Platform.current().threadPointerAfterPthread()) {
            return 0;
        }
        return Libc.optionalSymbol("_thread_db_sizeof_pthread")
                .map(s -> (long) s.reinterpret(4).get(JAVA_INT, 0))
                .orElse(-1L);
    }

    /** The calling thread's thread pointer, from which glibc's {@code __rseq_offset} counts. */
    private static long threadPointer() {
        if (PTHREAD_SIZE < 0) {
            throw new UnsupportedOperationException("glibc does not publish _thread_db_sizeof_pthread on "
                    + Platform.current() + ": the thread pointer, and so glibc's rseq area, cannot be found");
        }
        return Libc.pthreadSelf() + PTHREAD_SIZE;
    }

    /** Areas we registered ourselves, per thread; they must outlive the thread, so they are never freed. */
    private static final ThreadLocal<MemorySegment> OWN = new ThreadLocal<>();

    private Rseq() {
    }

    /** Whether glibc registered an rseq area for every thread of this process. */
    public static boolean registeredByGlibc() {
        return GLIBC_SIZE > 0;
    }

    /** Size of glibc's registration ({@code __rseq_size}), 0 when it did not register. */
    public static int glibcSize() {
        return GLIBC_SIZE;
    }

    /**
     * The calling thread's rseq area, registering one when glibc did not. The segment is valid for
     * the life of the calling OS thread, and only the kernel writes it.
     *
     * @throws ErrnoException when the kernel has no rseq (ENOSYS) or refuses the registration
     */
    public static MemorySegment currentThreadArea() {
        if (GLIBC_SIZE > 0) {
            return Libc.segmentAt(threadPointer() + GLIBC_OFFSET, AREA_SIZE);
        }
        MemorySegment own = OWN.get();
        if (own == null) {
            own = Arena.global().allocate(AREA_SIZE, 32);
            own.set(JAVA_INT, CPU_ID_OFFSET, -1);
            Libc.syscall("rseq", SYS_RSEQ, own.address(), AREA_SIZE, 0, RSEQ_SIG, 0, 0);
            OWN.set(own);
        }
        return own;
    }
}
