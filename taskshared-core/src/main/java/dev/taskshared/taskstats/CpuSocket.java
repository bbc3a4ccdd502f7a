package dev.taskshared.taskstats;

import java.lang.System.Logger.Level;

/**
 * One taskstats socket registered for one CPU (TASKSTATS_CMD_ATTR_REGISTER_CPUMASK): the kernel
 * unicasts it the exit record of every task that exits on that CPU. Owned by the exit receiver
 * thread; not thread-safe.
 */
final class CpuSocket {
    private static final System.Logger LOG = System.getLogger(ExitMonitor.class.getName());

    /** Where a socket's exit messages and overruns go, also while it awaits an ack. */
    interface Handler {
        void message(CpuSocket socket, Netlink.Message message);

        void overrun(CpuSocket socket);
    }

    final int cpu;
    final Channel channel;
    private final Channel.Family family;
    private final Channel.Events events;
    private final int grantedReceiveBufferBytes;
    /** The socket's SO_MEMINFO drop count as last accounted ({@link OverrunAccounting}). */
    long lastDrops;
    /** An ENOBUFS was read: drops are accounted again once the queue drains. */
    boolean overrunSeen;

    private CpuSocket(int cpu, Channel channel, Channel.Family family, int grantedReceiveBufferBytes, Handler handler) {
        this.cpu = cpu;
        this.channel = channel;
        this.family = family;
        this.grantedReceiveBufferBytes = grantedReceiveBufferBytes;
        this.lastDrops = Math.max(0, channel.socket.drops());
        this.events = new Channel.Events() {
            @Override
            public void message(Netlink.Message message) {
                handler.message(CpuSocket.this, message);
            }

            @Override
            public void overrun() {
                handler.overrun(CpuSocket.this);
            }
        };
    }

    /**
     * Opens a socket asking for {@code receiveBufferBytes} and registers it for {@code cpu},
     * waiting for the kernel's ack. Throws {@link dev.taskshared.sys.ErrnoException} (EPERM without
     * CAP_NET_ADMIN) if the kernel refuses; nothing is left open then.
     */
    static CpuSocket open(int cpu, Channel.Family family, int receiveBufferBytes, Handler handler) {
        Channel channel = new Channel();
        try {
            int granted = channel.socket.setReceiveBuffer(receiveBufferBytes);
            CpuSocket s = new CpuSocket(cpu, channel, family, granted, handler);
            s.mask(TaskstatsProtocol.CMD_ATTR_REGISTER_CPUMASK, "REGISTER_CPUMASK");
            return s;
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The receive buffer the kernel granted (SO_RCVBUF, bytes). */
    int grantedReceiveBufferBytes() {
        return grantedReceiveBufferBytes;
    }

    int fd() {
        return channel.socket.fd();
    }

    /** One non-blocking receive into the channel's buffer: bytes, or -errno (EAGAIN, ENOBUFS). */
    long receive() {
        return channel.socket.receive(channel.buffer, false);
    }

    /** Records the kernel dropped for this socket (SO_MEMINFO), or -1 where it cannot say. */
    long drops() {
        return channel.socket.drops();
    }

    /**
     * Closes the socket, first deregistering the CPU when {@code deregister}. Closing alone would
     * also do: the kernel drops a listener whose socket refuses a record (ECONNREFUSED);
     * deregistering says so at once. A failed deregistration is logged, and the socket closed anyway.
     */
    void close(boolean deregister) {
        try {
            if (deregister) {
                mask(TaskstatsProtocol.CMD_ATTR_DEREGISTER_CPUMASK, "DEREGISTER_CPUMASK");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "taskstats deregistration of CPU " + cpu + " failed", e);
        } finally {
            channel.close();
        }
    }

    /** Sends a (de)register request for this socket's single CPU and waits for the kernel's ack. */
    private void mask(int attr, String name) {
        String list = Integer.toString(cpu);
        byte[] req = new Netlink.Builder(family.id(), Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, channel.nextSeq(), 0,
                TaskstatsProtocol.CMD_GET, TaskstatsProtocol.GENL_VERSION).string(attr, list).finish();
        channel.request(req, "TASKSTATS_CMD_ATTR_" + name + "(" + list + ")", events);
    }
}
