package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.BpfAttr.RawTracepointOpen;
import dev.taskshared.sys.BpfInfo;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An attachment of a program to a hook, owning the link descriptor: the program runs until the
 * link is closed (or the process dies and the kernel closes the descriptor), then detaches.
 */
public final class BpfLink implements AutoCloseable {

    private final Fd fd;
    private final String target;

    private BpfLink(int fd, String target) {
        this.fd = new Fd(fd, "link " + target);
        this.target = target;
    }

    /**
     * Attaches a {@link ProgramType#RAW_TRACEPOINT} program to raw tracepoint {@code name}
     * ({@code sched_switch}, {@code sched_process_exit}, ...) with BPF_RAW_TRACEPOINT_OPEN; needs no
     * tracefs. The program's context is the tracepoint's {@code TP_PROTO} arguments as {@code u64}s.
     */
    public static BpfLink rawTracepoint(BpfProgram program, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, RawTracepointOpen.NAME, arena.allocateFrom(name).address());
            attr.set(JAVA_INT, RawTracepointOpen.PROG_FD, program.fd());
            long rc = Bpf.callRaw(BpfCmd.RAW_TRACEPOINT_OPEN, attr);
            if (rc < 0) {
                int errno = (int) -rc;
                String op = "bpf(BPF_RAW_TRACEPOINT_OPEN " + name + ")";
                if (errno == Errno.ENOENT) {
                    throw new ErrnoException(op, errno, "the kernel has no tracepoint named " + name);
                }
                if (errno == Errno.EINVAL) {
                    throw new ErrnoException(op, errno, "program type must be RAW_TRACEPOINT (it is " + program.type()
                            + "), and it must not read more arguments than the tracepoint has");
                }
                throw BpfErrors.of(op, errno);
            }
            return new BpfLink((int) rc, name);
        }
    }

    /**
     * Attaches a BTF-typed program ({@link ProgramType#TRACING} loaded with
     * {@link AttachType#TRACE_RAW_TP} and the {@code btf_trace_<name>} type id, see
     * {@link dev.taskshared.bpf.btf.Btf#rawTracepointTypeId}): the kernel knows the target from
     * the program, so no name is passed. Such programs may dereference the tracepoint's typed
     * pointer arguments directly instead of through bpf_probe_read_kernel.
     */
    public static BpfLink tracing(BpfProgram program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, RawTracepointOpen.PROG_FD, program.fd());
            long rc = Bpf.callRaw(BpfCmd.RAW_TRACEPOINT_OPEN, attr);
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_RAW_TRACEPOINT_OPEN " + program.name() + ")", (int) -rc);
            }
            return new BpfLink((int) rc, program.name().isEmpty() ? "tracing" : program.name());
        }
    }

    /**
     * Opens the link pinned at {@code path} (BPF_OBJ_GET, read-write: needs write permission on
     * the pin file). Closing the returned link does not detach the program while the pin exists.
     */
    public static BpfLink openPinned(java.nio.file.Path path) {
        return new BpfLink(Pins.get(path, 0, "link"), path.toString());
    }

    /**
     * Pins this link at {@code path} in a bpffs directory: the program then stays attached after
     * this descriptor is closed and this process exits, until the pin file is removed.
     */
    public void pin(java.nio.file.Path path) {
        Pins.pin(fd(), path, "link " + target);
    }

    public int fd() {
        return fd.get();
    }

    /** The kernel-wide link id. */
    public int id() {
        return info(BpfInfo.Link.ID);
    }

    /** The id of the attached program. */
    public int programId() {
        return info(BpfInfo.Link.PROG_ID);
    }

    private int info(long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfInfo.Link.LAYOUT);
            BpfMap.objInfo(arena, fd(), info, "link " + target);
            return info.get(JAVA_INT, offset);
        }
    }

    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Detaches; idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "BpfLink[" + target + " fd=" + fd + "]";
    }
}
