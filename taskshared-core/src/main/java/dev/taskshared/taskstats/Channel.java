package dev.taskshared.taskstats;

import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.NetlinkSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

/**
 * A generic-netlink socket with its receive buffer and request sequence: sends a request and
 * reads until the kernel's answer to it (matched by sequence number and our port id), handing
 * anything else that arrives meanwhile (exit events) to a consumer. Not thread-safe: one thread at
 * a time, which also owns the buffer.
 */
final class Channel implements AutoCloseable {
    /** Generous for one datagram: a taskstats message is about 600 bytes, a GETFAMILY reply about 1 KiB. */
    static final int BUFFER_SIZE = 64 * 1024;
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(5);

    /** Where messages that are not the awaited answer go (exit events on a registered socket). */
    interface Events {
        void message(Netlink.Message message);

        /** The kernel dropped messages for this socket (ENOBUFS). */
        void overrun();
    }

    /** A resolved genetlink family. */
    record Family(int id, int version) {
    }

    final NetlinkSocket socket;
    private final Arena arena;
    final MemorySegment buffer;
    private int seq = 1;
    private boolean closed;

    Channel() {
        this.socket = NetlinkSocket.open(NetlinkSocket.NETLINK_GENERIC);
        try {
            socket.setReceiveTimeout(REPLY_TIMEOUT);
            this.arena = Arena.ofShared();
            this.buffer = arena.allocate(BUFFER_SIZE, 8);
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** CTRL_CMD_GETFAMILY: the id and version of the family called {@code name}. */
    Family resolve(String name) {
        byte[] req = new Netlink.Builder(Netlink.GENL_ID_CTRL, Netlink.NLM_F_REQUEST, nextSeq(), 0, Netlink.CTRL_CMD_GETFAMILY, 1)
                .string(Netlink.CTRL_ATTR_FAMILY_NAME, name).finish();
        Netlink.GenlMessage reply = request(req, "genetlink CTRL_CMD_GETFAMILY(" + name + ")", null);
        Netlink.Attr id = reply.first(Netlink.CTRL_ATTR_FAMILY_ID);
        Netlink.Attr version = reply.first(Netlink.CTRL_ATTR_VERSION);
        if (id == null) {
            throw new NetlinkFormatException("CTRL_CMD_GETFAMILY reply for " + name + " lacks CTRL_ATTR_FAMILY_ID");
        }
        return new Family(id.u16(), version == null ? 0 : version.u32());
    }

    int nextSeq() {
        return seq++;
    }

    /**
     * Sends {@code request} (whose sequence number must be the last {@link #nextSeq()}) and returns
     * the genetlink reply, or null for a bare ack (NLM_F_ACK). An NLMSG_ERROR reply throws
     * {@link ErrnoException}; no answer within {@link #REPLY_TIMEOUT} throws too.
     */
    Netlink.GenlMessage request(byte[] request, String operation, Events others) {
        int mySeq = seq - 1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(request.length, 8);
            MemorySegment.copy(request, 0, msg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, request.length);
            socket.send(msg, request.length);
        }
        long deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
        while (true) {
            long n = socket.receive(buffer, true);
            if (n == -Errno.EAGAIN) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ErrnoException(operation, Errno.EAGAIN, "no answer from the kernel within " + REPLY_TIMEOUT.toSeconds() + " s");
                }
                continue;
            }
            if (n == -Errno.ENOBUFS) {
                // Events overflowed the buffer while we waited; our answer is still to come.
                if (others != null) {
                    others.overrun();
                }
                continue;
            }
            List<Netlink.Message> messages = Netlink.messages(buffer, n);
            Netlink.GenlMessage reply = null;
            boolean answered = false;
            for (Netlink.Message m : messages) {
                boolean ours = m.seq() == mySeq && m.portId() == socket.portId();
                if (!ours) {
                    if (others != null) {
                        others.message(m);
                    }
                    continue;
                }
                Netlink.throwIfError(m, operation);
                if (m.isError() || m.isDone()) {
                    answered = true; // an ack (error 0), or the end of a multipart reply
                } else if (reply == null) {
                    reply = Netlink.genl(m);
                    answered = true;
                }
            }
            if (answered) {
                return reply;
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            socket.close();
            arena.close();
        }
    }
}
