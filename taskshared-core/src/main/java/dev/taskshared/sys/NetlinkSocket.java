package dev.taskshared.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;

/**
 * One {@code AF_NETLINK} socket descriptor ({@code NETLINK_GENERIC} unless told otherwise), bound
 * with a kernel-chosen port id, talking to the kernel (port 0). It moves bytes only: framing lives
 * with the protocol code.
 *
 * <p>Thread-safety: {@link #send} and {@link #receive} may be called from different threads (the
 * kernel serialises them), but one receiver at a time; {@link #close} must not race with either.
 * Every call here is one system call.
 */
public final class NetlinkSocket implements AutoCloseable {
    public static final int AF_NETLINK = 16;
    public static final int NETLINK_GENERIC = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 02000000;

    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVTIMEO = 20; // SO_RCVTIMEO_OLD: struct timeval of two longs on x86-64
    private static final int SO_RCVBUFFORCE = 33;
    private static final int SO_MEMINFO = 55;
    private static final int SK_MEMINFO_VARS = 9;
    private static final int SK_MEMINFO_DROPS = 8;

    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;

    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_TRUNC = 0x20;
    private static final short POLLIN = 1;

    /** struct sockaddr_nl { u16 nl_family; u16 nl_pad; u32 nl_pid; u32 nl_groups; } */
    private static final long SOCKADDR_NL_SIZE = 12;

    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = handle("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDTO = handle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECV = handle("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private final int fd;
    private final int portId;
    private volatile boolean closed;

    private NetlinkSocket(int fd, int portId) {
        this.fd = fd;
        this.portId = portId;
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return Libc.LINKER.downcallHandle(Libc.symbol(name), fd, CAPTURE_ERRNO);
    }

    /**
     * Opens and binds a netlink socket of {@code protocol} ({@link #NETLINK_GENERIC} for genetlink).
     * The kernel picks the port id. Extended acks are asked for (error messages in NLMSG_ERROR),
     * and acks do not echo the request back.
     */
    public static NetlinkSocket open(int protocol) {
        MemorySegment capture = Libc.captureSegment();
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(capture, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        if (fd < 0) {
            throw new ErrnoException("socket(AF_NETLINK, " + protocol + ")", Libc.lastErrno(capture));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(SOCKADDR_NL_SIZE, 4);
            addr.set(JAVA_SHORT, 0, (short) AF_NETLINK); // nl_pid = 0: the kernel assigns a port id
            if ((int) BIND.invokeExact(capture, fd, addr, (int) SOCKADDR_NL_SIZE) != 0) {
                throw new ErrnoException("bind(AF_NETLINK)", Libc.lastErrno(capture));
            }
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) SOCKADDR_NL_SIZE);
            if ((int) GETSOCKNAME.invokeExact(capture, fd, addr, len) != 0) {
                throw new ErrnoException("getsockname(AF_NETLINK)", Libc.lastErrno(capture));
            }
            NetlinkSocket socket = new NetlinkSocket(fd, addr.get(JAVA_INT, 4));
            // Both are conveniences (better error text, shorter acks); old kernels lack them.
            socket.trySetInt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
            socket.trySetInt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
            return socket;
        } catch (Throwable t) {
            Libc.closeQuietly(fd);
            throw Libc.rethrow(t);
        }
    }

    /** The descriptor, for diagnostics; it stays owned by this object. */
    public int fd() {
        return fd;
    }

    /** The port id the kernel bound this socket to: the address it sends replies and events to. */
    public int portId() {
        return portId;
    }

    private int trySetInt(int level, int option, int value) {
        MemorySegment capture = Libc.captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocateFrom(JAVA_INT, value);
            int rc = (int) SETSOCKOPT.invokeExact(capture, fd, level, option, v, 4);
            return rc == 0 ? 0 : -Libc.lastErrno(capture);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private int getInt(int level, int option, String op) {
        MemorySegment capture = Libc.captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            MemorySegment len = arena.allocateFrom(JAVA_INT, 4);
            if ((int) GETSOCKOPT.invokeExact(capture, fd, level, option, v, len) != 0) {
                throw new ErrnoException(op, Libc.lastErrno(capture));
            }
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Asks for a receive buffer of {@code bytes}: {@code SO_RCVBUFFORCE} (needs CAP_NET_ADMIN,
     * ignores {@code net.core.rmem_max}), falling back to {@code SO_RCVBUF} (capped at rmem_max).
     * Returns the size the kernel granted, which it reports doubled for bookkeeping overhead.
     */
    public int setReceiveBuffer(int bytes) {
        if (trySetInt(SOL_SOCKET, SO_RCVBUFFORCE, bytes) != 0) {
            int rc = trySetInt(SOL_SOCKET, SO_RCVBUF, bytes);
            if (rc != 0) {
                throw new ErrnoException("setsockopt(SO_RCVBUF)", -rc);
            }
        }
        return receiveBuffer();
    }

    /** The receive buffer size the kernel accounts against, in bytes ({@code SO_RCVBUF}). */
    public int receiveBuffer() {
        return getInt(SOL_SOCKET, SO_RCVBUF, "getsockopt(SO_RCVBUF)");
    }

    /** The send buffer size in bytes ({@code SO_SNDBUF}). */
    public int sendBuffer() {
        return getInt(SOL_SOCKET, SO_SNDBUF, "getsockopt(SO_SNDBUF)");
    }

    /** A blocking {@link #receive} gives up with {@code -EAGAIN} after {@code timeout} (zero: never). */
    public void setReceiveTimeout(Duration timeout) {
        MemorySegment capture = Libc.captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(16, 8);
            tv.set(JAVA_LONG, 0, timeout.toSeconds());
            tv.set(JAVA_LONG, 8, timeout.toNanosPart() / 1000);
            if ((int) SETSOCKOPT.invokeExact(capture, fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) != 0) {
                throw new ErrnoException("setsockopt(SO_RCVTIMEO)", Libc.lastErrno(capture));
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * How many datagrams the kernel dropped because this socket's receive buffer was full
     * ({@code SK_MEMINFO_DROPS} of {@code SO_MEMINFO}), or -1 where the kernel cannot say (before 4.12).
     */
    public long drops() {
        MemorySegment capture = Libc.captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(4L * SK_MEMINFO_VARS, 4);
            MemorySegment len = arena.allocateFrom(JAVA_INT, 4 * SK_MEMINFO_VARS);
            if ((int) GETSOCKOPT.invokeExact(capture, fd, SOL_SOCKET, SO_MEMINFO, v, len) != 0) {
                return -1;
            }
            if (len.get(JAVA_INT, 0) < 4 * (SK_MEMINFO_DROPS + 1)) {
                return -1;
            }
            return Integer.toUnsignedLong(v.get(JAVA_INT, 4L * SK_MEMINFO_DROPS));
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Sends {@code length} bytes of {@code message} to the kernel as one datagram. */
    public void send(MemorySegment message, long length) {
        MemorySegment capture = Libc.captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment kernel = arena.allocate(SOCKADDR_NL_SIZE, 4);
            kernel.set(JAVA_SHORT, 0, (short) AF_NETLINK);
            while (true) {
                long n = (long) SENDTO.invokeExact(capture, fd, message, length, 0, kernel, (int) SOCKADDR_NL_SIZE);
                if (n >= 0) {
                    return;
                }
                int errno = Libc.lastErrno(capture);
                if (errno != Errno.EINTR) { // a signal arrived before anything was sent: send again
                    throw new ErrnoException("sendto(netlink)", errno);
                }
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Receives one datagram into {@code buffer}. Returns its length, which is larger than the
     * buffer when the datagram was truncated ({@code MSG_TRUNC}); or {@code -EAGAIN} when none
     * came (non-blocking, or the receive timeout passed); or {@code -ENOBUFS} when the kernel had
     * to drop messages for this socket since the last call (the queue is still readable).
     * Other errors throw.
     */
    public long receive(MemorySegment buffer, boolean block) {
        MemorySegment capture = Libc.captureSegment();
        int flags = MSG_TRUNC | (block ? 0 : MSG_DONTWAIT);
        try {
            while (true) {
                long n = (long) RECV.invokeExact(capture, fd, buffer, buffer.byteSize(), flags);
                if (n >= 0) {
                    return n;
                }
                int errno = Libc.lastErrno(capture);
                if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS) {
                    return -errno;
                }
                if (errno != Errno.EINTR) { // EINTR: a signal arrived while waiting, nothing consumed
                    throw new ErrnoException("recv(netlink)", errno);
                }
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * poll(2) for readability: waits up to {@code timeoutMillis} (-1: forever) until one of the
     * first {@code count} descriptors of {@code fds} is readable or in error; sets
     * {@code ready[i]} accordingly and returns how many are. Returns 0 on timeout or signal.
     */
    public static int pollReadable(int[] fds, int count, boolean[] ready, int timeoutMillis) {
        MemorySegment capture = Libc.captureSegment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfds = arena.allocate(8L * Math.max(count, 1), 4); // struct pollfd { int fd; short events, revents; }
            for (int i = 0; i < count; i++) {
                pfds.set(JAVA_INT, 8L * i, fds[i]);
                pfds.set(JAVA_SHORT, 8L * i + 4, POLLIN);
            }
            int n = (int) POLL.invokeExact(capture, pfds, (long) count, timeoutMillis);
            if (n < 0) {
                int errno = Libc.lastErrno(capture);
                if (errno == Errno.EINTR) { // the caller loops anyway
                    n = 0;
                } else {
                    throw new ErrnoException("poll", errno);
                }
            }
            for (int i = 0; i < count; i++) {
                ready[i] = n > 0 && pfds.get(JAVA_SHORT, 8L * i + 6) != 0;
            }
            return n;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Closes the descriptor; idempotent. The kernel drops what was queued and forgets the port id. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.closeQuietly(fd);
        }
    }

    @Override
    public String toString() {
        return "NetlinkSocket[fd=" + fd + ", port=" + portId + (closed ? ", closed" : "") + "]";
    }
}
