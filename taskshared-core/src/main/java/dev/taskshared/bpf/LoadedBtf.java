package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.BpfAttr.BtfLoad;
import dev.taskshared.sys.ErrnoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * BTF loaded into the kernel (BPF_BTF_LOAD), owning its descriptor: maps whose values hold special
 * fields (a {@code __uptr}) are created against it. A rejected blob throws with the kernel's BTF
 * log, like a verifier rejection.
 */
public final class LoadedBtf implements AutoCloseable {
    // union bpf_attr for BPF_BTF_LOAD: u64 btf; u64 btf_log_buf; u32 btf_size; u32 btf_log_size; u32 btf_log_level
    private static final int LOG_SIZE = 64 * 1024;

    private final Fd fd;

    private LoadedBtf(int fd) {
        this.fd = new Fd(fd, "BTF");
    }

    /** Loads {@code blob}; on rejection retries with a log and throws an ErrnoException carrying it. */
    public static LoadedBtf load(byte[] blob) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, BtfLoad.BTF, arena.allocateFrom(JAVA_BYTE, blob).address());
            attr.set(JAVA_INT, BtfLoad.BTF_SIZE, blob.length);
            long rc = Bpf.callRaw(BpfCmd.BTF_LOAD, attr);
            if (rc >= 0) {
                return new LoadedBtf((int) rc);
            }
            MemorySegment log = arena.allocate(LOG_SIZE);
            attr.set(JAVA_LONG, BtfLoad.BTF_LOG_BUF, log.address());
            attr.set(JAVA_INT, BtfLoad.BTF_LOG_SIZE, LOG_SIZE);
            attr.set(JAVA_INT, BtfLoad.BTF_LOG_LEVEL, 1);
            long again = Bpf.callRaw(BpfCmd.BTF_LOAD, attr);
            if (again >= 0) { // accepted the second time: keep it
                return new LoadedBtf((int) again);
            }
            String text = log.getString(0, StandardCharsets.UTF_8).strip();
            ErrnoException base = BpfErrors.of("bpf(BPF_BTF_LOAD)", (int) -rc);
            throw new ErrnoException(base.operation(), base.errno(), "the kernel's BTF log: " + (text.isEmpty() ? "(empty)" : text));
        }
    }

    public int fd() {
        return fd.get();
    }

    @Override
    public void close() {
        fd.close();
    }
}
