package dev.taskshared.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A non-blocking {@code eventfd(2)}: a descriptor another thread can make readable, so that a
 * thread sleeping in {@code poll} wakes at once. Thread-safe; {@link #close} must come last.
 */
public final class EventFd implements AutoCloseable {
    private static final long SYS_EVENTFD2 = Platform.current().syscalls().eventfd2();
    private static final int EFD_NONBLOCK = 04000;
    private static final int EFD_CLOEXEC = 02000000;

    private final int fd;
    private final MemorySegment one;
    private final MemorySegment sink;
    private boolean closed; // guarded by this: a signal must never reach a closed, possibly reused, descriptor

    public EventFd() {
        this.fd = (int) Libc.syscall("eventfd2", SYS_EVENTFD2, 0, EFD_NONBLOCK | EFD_CLOEXEC, 0, 0, 0, 0);
        Arena arena = Arena.ofAuto(); // freed by the GC: signal() may race with close()
        this.one = arena.allocate(JAVA_LONG);
        one.set(JAVA_LONG, 0, 1L);
        this.sink = arena.allocate(JAVA_LONG);
    }

    public int fd() {
        return fd;
    }

    /** Makes the descriptor readable (one write syscall). */
    public synchronized void signal() {
        if (!closed) {
            Libc.write(fd, one, 8);
        }
    }

    /** Makes it unreadable again (one read syscall); only the polling thread calls it. */
    public void drain() {
        Libc.readRaw(fd, sink, 8); // -EAGAIN when nothing was signalled: fine
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.closeQuietly(fd);
        }
    }
}
