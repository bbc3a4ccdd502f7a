package dev.taskshared.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code bpf(2)} system call: one choke point for every BPF command of the library. Callers
 * build the {@code union bpf_attr} for a command in a zeroed segment (see {@link #attr}) and pass
 * it here; the kernel reads {@code attr.byteSize()} bytes and requires anything it does not know
 * to be zero, so one generous size serves every kernel.
 */
public final class Bpf {
    private static final long SYS_BPF = Platform.current().syscalls().bpf();
    private static final int BPF_PROG_LOAD = 5;

    /**
     * Size we pass for every attr: larger than any command's part of {@code union bpf_attr} that
     * we fill (the kernel checks that the tail beyond what it knows is zero, which it is).
     */
    public static final long ATTR_SIZE = 160;

    private Bpf() {
    }

    /** A zeroed {@code union bpf_attr} in {@code arena}. */
    public static MemorySegment attr(Arena arena) {
        return arena.allocate(ATTR_SIZE, 8);
    }

    /**
     * BPF_PROG_LOAD returning {@code -errno}: retries EAGAIN, which the kernel returns when a
     * signal interrupted the verifier (nothing was loaded, so asking again is safe).
     */
    public static long progLoadRaw(MemorySegment attr) {
        long rc;
        int attempts = 0;
        do {
            rc = callRaw(BPF_PROG_LOAD, attr);
        } while (rc == -Errno.EAGAIN && ++attempts < 100);
        return rc;
    }

    /** bpf(cmd, attr, size): the result (often a new descriptor the caller owns), or {@code -errno}; no retries. */
    public static long callRaw(int cmd, MemorySegment attr) {
        return Libc.syscallRaw(SYS_BPF, cmd, attr.address(), attr.byteSize(), 0, 0, 0);
    }
}
