package dev.taskshared.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A shared mapping of a file descriptor ({@code mmap(MAP_SHARED)}), unmapped on {@link #close()}.
 * The segment belongs to a shared arena, so any thread may read it, and once the mapping is closed
 * an access throws {@link IllegalStateException} instead of touching unmapped memory. A read-only
 * mapping hands out a read-only segment, so a Java write fails instead of faulting.
 */
public final class Mapping implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment segment;

    private Mapping(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    /** Maps {@code length} bytes of {@code fd} at file offset {@code offset}, shared. */
    public static Mapping map(int fd, long length, boolean writable, long offset) {
        int prot = Libc.PROT_READ | (writable ? Libc.PROT_WRITE : 0);
        Arena arena = Arena.ofShared();
        MemorySegment s = Libc.mmapSegment(arena, length, prot, Libc.MAP_SHARED, fd, offset);
        return new Mapping(arena, writable ? s : s.asReadOnly());
    }

    /** The mapped bytes; valid until {@link #close()}. */
    public MemorySegment segment() {
        return segment;
    }

    /** Unmaps; idempotent. Must not race with readers of the segment (the arena enforces it). */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
