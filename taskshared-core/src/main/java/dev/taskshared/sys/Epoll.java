package dev.taskshared.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A small epoll(7) instance: register descriptors for readability and wait with a timeout. Owns
 * its descriptor; not thread-safe (one waiter).
 */
public final class Epoll implements AutoCloseable {
    /** epoll_pwait with no signal mask is epoll_wait, which aarch64 lacks. */
    private static final long SYS_EPOLL_PWAIT = Platform.current().syscalls().epollPwait();
    private static final long SYS_EPOLL_CTL = Platform.current().syscalls().epollCtl();
    private static final long SYS_EPOLL_CREATE1 = Platform.current().syscalls().epollCreate1();
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLLIN = 0x001;
    /** struct epoll_event: u32 events, u64 data; packed on x86-64 only. */
    private static final long EVENT_SIZE = Platform.current().epollEventSize();
    private static final long EVENT_DATA = Platform.current().epollEventDataOffset();
    private static final int MAX_EVENTS = 16;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events = arena.allocate(EVENT_SIZE * MAX_EVENTS, 8);

    private Epoll(int fd) {
        this.fd = fd;
    }

    public static Epoll create() {
        return new Epoll((int) Libc.syscall("epoll_create1", SYS_EPOLL_CREATE1, EPOLL_CLOEXEC, 0, 0, 0, 0, 0));
    }

    /** Adds {@code target} for {@code EPOLLIN}, with {@code target} itself as the event data. */
    public void addReadable(int target) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(EVENT_SIZE, 8);
            ev.set(ValueLayout.JAVA_INT, 0, EPOLLIN);
            ev.set(ValueLayout.JAVA_LONG_UNALIGNED, EVENT_DATA, target);
            Libc.syscall("epoll_ctl(ADD)", SYS_EPOLL_CTL, fd, EPOLL_CTL_ADD, target, ev.address(), 0, 0);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: forever, 0: poll) for a registered descriptor to be
     * ready; returns how many are, 0 on timeout. A signal (EINTR) also returns 0: the caller
     * checks its condition and waits again, as after a timeout.
     */
    public int await(int timeoutMillis) {
        long rc = Libc.syscallRaw(SYS_EPOLL_PWAIT, fd, events.address(), MAX_EVENTS, timeoutMillis, 0, 0); // sigmask NULL
        if (rc == -Errno.EINTR) {
            return 0;
        }
        if (rc < 0) {
            throw new ErrnoException("epoll_wait", (int) -rc);
        }
        return (int) rc;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            try {
                Libc.close(fd);
            } catch (ErrnoException e) {
                // the descriptor is released even when close reports an error
            }
        }
    }
}
