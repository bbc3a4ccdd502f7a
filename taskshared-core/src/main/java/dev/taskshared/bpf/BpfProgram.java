package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.BpfAttr.ProgLoad;
import dev.taskshared.sys.BpfAttr.ProgTestRun;
import dev.taskshared.sys.BpfInfo;
import dev.taskshared.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A loaded (verified, JIT-compiled) program, owning its descriptor. Closing it drops our reference;
 * links that attached it keep it alive until they are closed.
 */
public final class BpfProgram implements AutoCloseable {
    private static final int LOG_START = 64 * 1024;
    /** Largest log buffer we try; the kernel accepts up to UINT_MAX >> 2 since 6.4, 16 MiB before. */
    private static final int LOG_MAX = 16 * 1024 * 1024;

    private final Fd fd;
    private final ProgramType type;
    private final String name;
    private final String log;

    private BpfProgram(int fd, ProgramType type, String name, String log) {
        this.fd = new Fd(fd, "program " + name);
        this.type = type;
        this.name = name;
        this.log = log;
    }

    /** Loads a GPL program of {@code type} with no name. */
    public static BpfProgram load(ProgramType type, Instructions instructions) {
        return load(ProgramSpec.of(type, instructions));
    }

    /**
     * Loads a program (BPF_PROG_LOAD). As cilium/ebpf does, the first attempt runs without a
     * verifier log (logs cost time and memory); on failure it loads again with log level 1,
     * growing the buffer while the kernel says ENOSPC, and throws a {@link VerifierException} with
     * that log. Any map the program references must be open during the call.
     */
    public static BpfProgram load(ProgramSpec spec) {
        byte[] code = spec.instructions().encode();
        String op = "bpf(BPF_PROG_LOAD " + spec.type() + (spec.name().isEmpty() ? "" : " " + spec.name()) + ")";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, ProgLoad.PROG_TYPE, spec.type().value);
            attr.set(JAVA_INT, ProgLoad.INSN_CNT, code.length / 8);
            attr.set(JAVA_LONG, ProgLoad.INSNS, arena.allocateFrom(JAVA_BYTE, code).address());
            attr.set(JAVA_LONG, ProgLoad.LICENSE, arena.allocateFrom(spec.license()).address());
            BpfMap.putName(attr, ProgLoad.PROG_NAME, spec.name());
            attr.set(JAVA_INT, ProgLoad.EXPECTED_ATTACH_TYPE, spec.expectedAttachType().value);
            attr.set(JAVA_INT, ProgLoad.ATTACH_BTF_ID, spec.attachBtfId());
            attr.set(JAVA_INT, ProgLoad.PROG_FLAGS, spec.flags());

            int logSize = spec.logLevel() > 0 ? LOG_START : 0;
            int logLevel = spec.logLevel();
            while (true) {
                MemorySegment logBuf = logSize > 0 ? arena.allocate(logSize) : MemorySegment.NULL;
                attr.set(JAVA_INT, ProgLoad.LOG_LEVEL, logLevel);
                attr.set(JAVA_INT, ProgLoad.LOG_SIZE, logSize);
                attr.set(JAVA_LONG, ProgLoad.LOG_BUF, logBuf.address());
                attr.set(JAVA_INT, ProgLoad.LOG_TRUE_SIZE, 0);
                long rc = Bpf.progLoadRaw(attr);
                if (rc >= 0) {
                    return new BpfProgram((int) rc, spec.type(), spec.name(), logSize > 0 ? logBuf.getString(0) : "");
                }
                int errno = (int) -rc;
                if (logSize == 0) {
                    logLevel = 1; // refused without a log: ask again with one, to say why
                    logSize = LOG_START;
                    continue;
                }
                if (errno == Errno.ENOSPC && logSize < LOG_MAX) {
                    int trueSize = attr.get(JAVA_INT, ProgLoad.LOG_TRUE_SIZE); // 6.4+: the size the whole log needs
                    logSize = Math.min(LOG_MAX, Math.max(logSize * 4, trueSize));
                    continue;
                }
                String log = logBuf.getString(0, StandardCharsets.UTF_8);
                List<String> hints = new ArrayList<>(BpfErrors.hints(errno));
                if (errno == Errno.ENOSPC) {
                    hints.add("verifier log truncated at " + logSize + " bytes");
                }
                if (errno == Errno.EINVAL && log.isEmpty()) {
                    hints.add("no verifier log: the attr was refused before verification (program type, attach type, license, name?)");
                }
                throw new VerifierException(op, errno, log, hints);
            }
        }
    }

    public int fd() {
        return fd.get();
    }

    public ProgramType type() {
        return type;
    }

    public String name() {
        return name;
    }

    /** The verifier log of a load with a log level set in its spec; empty otherwise. */
    public String verifierLog() {
        return log;
    }

    /** What the kernel reports now, including run-time statistics. */
    public ProgramInfo info() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfInfo.Prog.LAYOUT);
            BpfMap.objInfo(arena, fd(), info, "program " + name);
            return new ProgramInfo(info.get(JAVA_INT, BpfInfo.Prog.TYPE), info.get(JAVA_INT, BpfInfo.Prog.ID),
                    HexFormat.of().formatHex(info.asSlice(BpfInfo.Prog.TAG, BpfInfo.Prog.TAG_SIZE).toArray(JAVA_BYTE)),
                    BpfMap.getName(info, BpfInfo.Prog.NAME), info.get(JAVA_INT, BpfInfo.Prog.JITED_PROG_LEN),
                    info.get(JAVA_INT, BpfInfo.Prog.XLATED_PROG_LEN), info.get(JAVA_LONG, BpfInfo.Prog.RUN_TIME_NS),
                    info.get(JAVA_LONG, BpfInfo.Prog.RUN_CNT), info.get(JAVA_LONG, BpfInfo.Prog.RECURSION_MISSES),
                    info.get(JAVA_INT, BpfInfo.Prog.VERIFIED_INSNS));
        }
    }

    /** The kernel-wide id. */
    /**
     * Whether the kernel still has a program with this id (BPF_PROG_GET_FD_BY_ID, needs
     * CAP_SYS_ADMIN): for checking that nothing of ours outlives its process.
     */
    public static boolean exists(int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, 0, id);
            long rc = Bpf.callRaw(BpfCmd.PROG_GET_FD_BY_ID, attr);
            if (rc >= 0) {
                new Fd((int) rc, "program " + id).close();
                return true;
            }
            if (rc == -dev.taskshared.sys.Errno.ENOENT) {
                return false;
            }
            throw BpfErrors.of("bpf(BPF_PROG_GET_FD_BY_ID " + id + ")", (int) -rc);
        }
    }

    public int id() {
        return info().id();
    }

    /**
     * Opens the program pinned at {@code path} (BPF_OBJ_GET; a program is always opened
     * read-write, which needs write permission on the pin file).
     */
    public static BpfProgram openPinned(java.nio.file.Path path) {
        return fromFd(Pins.get(path, 0, "program"), "program " + path);
    }

    /** Pins this program at {@code path} in a bpffs directory: it then outlives this descriptor and process. */
    public void pin(java.nio.file.Path path) {
        Pins.pin(fd(), path, "program " + name);
    }

    /**
     * Opens the program with kernel-wide id {@code id} (BPF_PROG_GET_FD_BY_ID, needs CAP_SYS_ADMIN),
     * or empty when there is none (any more).
     */
    public static java.util.Optional<BpfProgram> byId(int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, dev.taskshared.sys.BpfAttr.GetId.ID, id);
            long rc = Bpf.callRaw(BpfCmd.PROG_GET_FD_BY_ID, attr);
            if (rc == -Errno.ENOENT) {
                return java.util.Optional.empty();
            }
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_PROG_GET_FD_BY_ID " + id + ")", (int) -rc);
            }
            return java.util.Optional.of(fromFd((int) rc, "program " + id));
        }
    }

    /**
     * The ids of every program loaded in the kernel now, ascending (BPF_PROG_GET_NEXT_ID, needs
     * CAP_SYS_ADMIN): for checking what is attached, with {@link #byId}.
     */
    public static List<Integer> allIds() {
        List<Integer> ids = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            int start = 0;
            while (true) {
                attr.fill((byte) 0);
                attr.set(JAVA_INT, dev.taskshared.sys.BpfAttr.GetId.ID, start);
                long rc = Bpf.callRaw(BpfCmd.PROG_GET_NEXT_ID, attr);
                if (rc == -Errno.ENOENT) {
                    return ids;
                }
                if (rc < 0) {
                    throw BpfErrors.of("bpf(BPF_PROG_GET_NEXT_ID)", (int) -rc);
                }
                start = attr.get(JAVA_INT, dev.taskshared.sys.BpfAttr.GetId.NEXT_ID);
                ids.add(start);
            }
        }
    }

    /** Wraps a program descriptor the caller owns, typed and named as the kernel reports; closes it on failure. */
    private static BpfProgram fromFd(int newFd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfInfo.Prog.LAYOUT);
            BpfMap.objInfo(arena, newFd, info, what);
            ProgramType type = ProgramType.of(info.get(JAVA_INT, BpfInfo.Prog.TYPE));
            return new BpfProgram(newFd, type, BpfMap.getName(info, BpfInfo.Prog.NAME), "");
        } catch (RuntimeException e) {
            new Fd(newFd, what).close();
            throw e;
        }
    }

    /** Result of {@link #testRun}: the program's return value and, where the type reports one, the mean duration. */
    public record TestRunResult(int retval, int durationNs, byte[] dataOut) {
    }

    /**
     * Runs the program once in the kernel on the given context and packet data
     * (BPF_PROG_TEST_RUN). For raw tracepoints the context is the {@code u64} arguments and data
     * and repeat must be empty / 0; see {@link #run(long...)}.
     */
    public TestRunResult testRun(byte[] ctx, byte[] data, int repeat) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, ProgTestRun.PROG_FD, fd());
            MemorySegment out = MemorySegment.NULL;
            if (data != null && data.length > 0) {
                attr.set(JAVA_INT, ProgTestRun.DATA_SIZE_IN, data.length);
                attr.set(JAVA_LONG, ProgTestRun.DATA_IN, arena.allocateFrom(JAVA_BYTE, data).address());
                out = arena.allocate(data.length + 256);
                attr.set(JAVA_INT, ProgTestRun.DATA_SIZE_OUT, (int) out.byteSize());
                attr.set(JAVA_LONG, ProgTestRun.DATA_OUT, out.address());
            }
            if (ctx != null && ctx.length > 0) {
                attr.set(JAVA_INT, ProgTestRun.CTX_SIZE_IN, ctx.length);
                attr.set(JAVA_LONG, ProgTestRun.CTX_IN, arena.allocateFrom(JAVA_BYTE, ctx).address());
            }
            attr.set(JAVA_INT, ProgTestRun.REPEAT, repeat);
            long rc = Bpf.callRaw(BpfCmd.PROG_TEST_RUN, attr);
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_PROG_TEST_RUN " + name + ")", (int) -rc);
            }
            byte[] dataOut = out.equals(MemorySegment.NULL) ? new byte[0]
                    : out.asSlice(0, attr.get(JAVA_INT, ProgTestRun.DATA_SIZE_OUT)).toArray(JAVA_BYTE);
            return new TestRunResult(attr.get(JAVA_INT, ProgTestRun.RETVAL), attr.get(JAVA_INT, ProgTestRun.DURATION), dataOut);
        }
    }

    /**
     * Runs a raw-tracepoint program once on the calling thread, without allocating: {@code attr} is
     * a caller-owned scratch of {@link Bpf#ATTR_SIZE} bytes, {@code ctx} the native {@code u64 args[]}.
     * Returns the program's r0 (0 or positive), or {@code -errno} when the kernel refused the run.
     */
    public long runInPlace(MemorySegment attr, MemorySegment ctx) {
        attr.fill((byte) 0);
        attr.set(JAVA_INT, ProgTestRun.PROG_FD, fd());
        attr.set(JAVA_INT, ProgTestRun.CTX_SIZE_IN, (int) ctx.byteSize());
        attr.set(JAVA_LONG, ProgTestRun.CTX_IN, ctx.address());
        long rc = Bpf.callRaw(BpfCmd.PROG_TEST_RUN, attr);
        return rc < 0 ? rc : Integer.toUnsignedLong(attr.get(JAVA_INT, ProgTestRun.RETVAL));
    }

    /** An {@link dev.taskshared.sys.ErrnoException} with hints for a failed run of this program. */
    public RuntimeException runError(long negativeErrno) {
        return BpfErrors.of("bpf(BPF_PROG_TEST_RUN " + name + ")", (int) -negativeErrno);
    }

    /** Runs a raw-tracepoint program once with {@code args} as its {@code u64 args[]}; returns r0. */
    public int run(long... args) {
        ByteBuffer b = ByteBuffer.allocate(args.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long a : args) {
            b.putLong(a);
        }
        return testRun(b.array(), null, 0).retval();
    }

    /** Attaches this raw-tracepoint program to tracepoint {@code name}, for example {@code sched_switch}. */
    public BpfLink attachRawTracepoint(String tracepoint) {
        return BpfLink.rawTracepoint(this, tracepoint);
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "BpfProgram[" + type + " " + name + " fd=" + fd + "]";
    }
}
