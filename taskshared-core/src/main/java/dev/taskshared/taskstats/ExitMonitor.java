package dev.taskshared.taskstats;

import dev.taskshared.exit.ThreadExitSource;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.NetlinkSocket;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Exit statistics of every task that exits on chosen CPUs, from the kernel's taskstats family,
 * delivered to {@link ExitListener}s registered for CPU sets.
 *
 * <p>How: the kernel unicasts an exit record to each socket registered for the CPU a task exits
 * on, but does not say which CPU that was. So the monitor opens one socket per watched CPU,
 * registers each for that single CPU (TASKSTATS_CMD_ATTR_REGISTER_CPUMASK), and stamps each record
 * with its socket's CPU. A CPU is watched while at least one registration covers it; a listener
 * receives exactly the records of its CPUs, overlapping registrations each get their own.
 *
 * <p>Threads: one daemon receiver thread ({@code taskshared-taskstats-exits}) owns the sockets,
 * reads them (poll, then non-blocking receives), and calls the listeners. {@link #register} and
 * {@link Registration#close} hand their work to it and wait, so they are thread-safe and may also
 * be called from a listener. Loss is never silent: a receive-buffer overflow (ENOBUFS) is counted
 * per CPU ({@link #droppedOverruns}), the number of records lost is read from the socket
 * (SO_MEMINFO drops, {@link #droppedRecords}) and each affected listener hears
 * {@link ExitListener#onOverrun}. Requires CAP_NET_ADMIN; costs one socket (and up to
 * {@code receiveBufferBytes} of kernel memory when the receiver falls behind) per watched CPU.
 *
 * <p>The jobs are split: {@link CommandQueue} hands work to the receiver thread, {@link CpuSocket}
 * is one registered socket, {@link OverrunAccounting} counts losses, {@link ExitDecoder} turns
 * messages into records and {@link ExitListeners} calls the listeners; this class wires them on
 * the receiver thread and bridges the BPF publisher's exits ({@link #follow}).
 */
public final class ExitMonitor implements AutoCloseable {
    /**
     * Default receive buffer per CPU socket, 8 MiB asked (the kernel doubles it for its own
     * bookkeeping): about {@value #DEFAULT_RECEIVE_BUFFER_RECORDS} exit records of threads of
     * multi-threaded processes queued, somewhat more when records of single-threaded processes
     * (smaller) are among them, as measured by {@code ExitBufferCapacityTest}.
     */
    public static final int DEFAULT_RECEIVE_BUFFER = 8 << 20;
    /** Exit records one per-CPU socket holds with {@link #DEFAULT_RECEIVE_BUFFER}, measured on Linux 6.18 (x86-64). */
    public static final int DEFAULT_RECEIVE_BUFFER_RECORDS = 7300;
    private static final System.Logger LOG = System.getLogger(ExitMonitor.class.getName());
    /** Datagrams read from one socket before looking at the others: keeps CPUs fair under load. */
    private static final int BATCH = 256;
    private static final long COMMAND_TIMEOUT_SECONDS = 30;
    private static final int POLL_TIMEOUT_MILLIS = 1000;

    private final Channel.Family family;
    private final int receiveBufferBytes;
    private final int maxCpu;
    private final Thread receiver;
    private final CommandQueue commands = new CommandQueue("exit monitor", COMMAND_TIMEOUT_SECONDS);
    private final CpuSocket.Handler socketEvents = new CpuSocket.Handler() {
        @Override
        public void message(CpuSocket socket, Netlink.Message message) {
            handle(socket, message);
        }

        @Override
        public void overrun(CpuSocket socket) {
            overflowed(socket);
        }
    };

    // Receiver-thread state.
    private final CpuSocket[] sockets;
    private final ExitListeners listeners;

    // Counters, written by the receiver thread, read by anyone.
    private final OverrunAccounting losses;
    private final AtomicLongArray received;
    private final AtomicLong malformed = new AtomicLong();
    private volatile int grantedReceiveBuffer;

    /** A listener's registration for a set of CPUs. Closing it stops delivery to that listener; idempotent. */
    public final class Registration implements AutoCloseable {
        private final CpuSet cpus;
        private final ExitListener listener;
        private final AtomicLong delivered = new AtomicLong();
        private volatile boolean open = true;

        private Registration(CpuSet cpus, ExitListener listener) {
            this.cpus = cpus;
            this.listener = listener;
        }

        /** The CPUs whose exits this registration receives. */
        public CpuSet cpus() {
            return cpus;
        }

        /** Records delivered to this listener so far. */
        public long delivered() {
            return delivered.get();
        }

        public boolean isOpen() {
            return open;
        }

        ExitListener listener() {
            return listener;
        }

        /** Calls the listener with {@code record}, counting it as delivered when the listener returns. */
        void deliver(ExitRecord record) {
            listener.onExit(record);
            delivered.incrementAndGet();
        }

        /** Stops delivery; CPUs no other registration covers are deregistered and their sockets closed. Waits for the receiver thread. */
        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            if (!commands.closing()) {
                commands.call(() -> {
                    removeRegistration(this);
                    return null;
                });
            }
        }

        @Override
        public String toString() {
            return "Registration[cpus=" + cpus + ", delivered=" + delivered + (open ? "" : ", closed") + "]";
        }
    }

    private ExitMonitor(Channel.Family family, int receiveBufferBytes) {
        this.family = family;
        this.receiveBufferBytes = receiveBufferBytes;
        this.maxCpu = CpuSet.possible().stream().max().orElse(0);
        int n = maxCpu + 1;
        this.sockets = new CpuSocket[n];
        this.listeners = new ExitListeners(n);
        this.losses = new OverrunAccounting(n);
        this.received = new AtomicLongArray(n);
        this.receiver = new Thread(this::receive, "taskshared-taskstats-exits");
        receiver.setDaemon(true);
        commands.owner(receiver);
    }

    /** Opens a monitor with {@link #DEFAULT_RECEIVE_BUFFER} per CPU socket. No CPU is watched until {@link #register}. */
    public static ExitMonitor open() {
        return open(DEFAULT_RECEIVE_BUFFER);
    }

    /**
     * Opens a monitor whose per-CPU sockets ask for {@code receiveBufferBytes} (SO_RCVBUFFORCE,
     * falling back to SO_RCVBUF, which {@code net.core.rmem_max} caps). Resolves the family; throws
     * {@link dev.taskshared.sys.ErrnoException} where taskstats is missing.
     */
    public static ExitMonitor open(int receiveBufferBytes) {
        if (receiveBufferBytes <= 0) {
            throw new IllegalArgumentException("receive buffer must be positive: " + receiveBufferBytes);
        }
        Channel.Family family;
        try (Channel c = new Channel()) {
            family = c.resolve(TaskstatsProtocol.FAMILY_NAME);
        }
        ExitMonitor m = new ExitMonitor(family, receiveBufferBytes);
        m.receiver.start();
        return m;
    }

    /**
     * Delivers to {@code listener} the exit record of every task that exits on one of {@code cpus}
     * from now on, until the returned registration (or the monitor) is closed. Blocks until the
     * kernel has accepted the CPUs; throws {@link dev.taskshared.sys.ErrnoException} (EPERM
     * without CAP_NET_ADMIN) if it refuses.
     */
    public Registration register(CpuSet cpus, ExitListener listener) {
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(listener, "listener");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cannot register for an empty CPU set");
        }
        if (cpus.stream().anyMatch(c -> c > maxCpu)) {
            throw new IllegalArgumentException("CPU set " + cpus + " is not within the possible CPUs " + CpuSet.possible());
        }
        Registration r = new Registration(cpus, listener);
        return commands.call(() -> {
            addRegistration(r);
            return r;
        });
    }

    // ------------------------------------------------------------------------------- counters

    /** Receive-buffer overflows (ENOBUFS) seen on all CPU sockets: each lost one or more records. */
    public long droppedOverruns() {
        return losses.overruns();
    }

    /** Receive-buffer overflows seen on {@code cpu}'s socket. */
    public long droppedOverruns(int cpu) {
        return losses.overruns(cpu);
    }

    /** Exit records the kernel dropped for our sockets because they were full (SO_MEMINFO), all CPUs. */
    public long droppedRecords() {
        return losses.dropped();
    }

    /** Exit records dropped for {@code cpu}. */
    public long droppedRecords(int cpu) {
        return losses.dropped(cpu);
    }

    /** Exit records received (before filtering by listener), all CPUs; a message with a task and a thread-group part counts two. */
    public long received() {
        return OverrunAccounting.sum(received);
    }

    /** Exit records received on {@code cpu}'s socket. */
    public long received(int cpu) {
        return received.get(cpu);
    }

    /** Datagrams that did not parse (counted, skipped, logged once). */
    public long malformed() {
        return malformed.get();
    }

    /** Exceptions thrown by listeners (counted, logged once; delivery goes on). */
    public long listenerFailures() {
        return listeners.failures();
    }

    /** The receive buffer the kernel granted per socket (SO_RCVBUF, bytes); 0 before the first socket. */
    public int receiveBufferBytes() {
        return grantedReceiveBuffer;
    }

    /** The CPUs watched now (covered by at least one open registration). */
    public CpuSet watchedCpus() {
        return commands.call(() -> {
            BitSet bits = new BitSet();
            for (CpuSocket s : sockets) {
                if (s != null) {
                    bits.set(s.cpu);
                }
            }
            return CpuSet.ofBits(bits);
        });
    }

    // ------------------------------------------------------------------------ receiver thread

    private void addRegistration(Registration r) {
        List<Integer> opened = new ArrayList<>();
        try {
            for (int cpu : r.cpus.toArray()) {
                listeners.add(cpu, r);
                if (sockets[cpu] == null) {
                    sockets[cpu] = CpuSocket.open(cpu, family, receiveBufferBytes, socketEvents);
                    grantedReceiveBuffer = sockets[cpu].grantedReceiveBufferBytes();
                    opened.add(cpu);
                }
            }
        } catch (RuntimeException e) {
            for (int cpu : r.cpus.toArray()) {
                listeners.remove(cpu, r);
            }
            for (int cpu : opened) {
                closeSocket(cpu, false);
            }
            r.open = false;
            throw e;
        }
    }

    private void removeRegistration(Registration r) {
        for (int cpu : r.cpus.toArray()) {
            if (listeners.remove(cpu, r) && sockets[cpu] != null) {
                closeSocket(cpu, true);
            }
        }
    }

    private void closeSocket(int cpu, boolean deregister) {
        CpuSocket s = sockets[cpu];
        sockets[cpu] = null;
        if (s != null) {
            s.close(deregister);
        }
    }

    private void receive() {
        int[] fds = new int[sockets.length + 1];
        CpuSocket[] polled = new CpuSocket[sockets.length + 1];
        boolean[] ready = new boolean[sockets.length + 1];
        Throwable failure = null;
        try {
            while (!commands.closing()) {
                commands.runPending();
                int n = 0;
                fds[n++] = commands.wakeupFd();
                for (CpuSocket s : sockets) {
                    if (s != null) {
                        polled[n] = s;
                        fds[n++] = s.fd();
                    }
                }
                NetlinkSocket.pollReadable(fds, n, ready, POLL_TIMEOUT_MILLIS);
                if (ready[0]) {
                    commands.drainWakeup();
                }
                for (int i = 1; i < n; i++) {
                    // A command may have closed this socket since the poll; only read live ones.
                    if (ready[i] && sockets[polled[i].cpu] == polled[i]) {
                        drain(polled[i]);
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
            LOG.log(Level.ERROR, "taskstats exit receiver stopped", t);
        } finally {
            commands.stopped(failure);
            for (int cpu = 0; cpu < sockets.length; cpu++) {
                closeSocket(cpu, true);
            }
            commands.runPending(); // those that raced with close fail rather than hang
            if (commands.closing()) {
                commands.closeWakeup();
            }
        }
    }

    private void drain(CpuSocket s) {
        for (int i = 0; i < BATCH; i++) {
            long n = s.receive();
            if (n == -Errno.EAGAIN) {
                report(losses.drained(s));
                return;
            }
            if (n == -Errno.ENOBUFS) {
                overflowed(s);
                continue;
            }
            try {
                for (Netlink.Message m : Netlink.messages(s.channel.buffer, n)) {
                    handle(s, m);
                }
            } catch (NetlinkFormatException e) {
                noteMalformed(e);
            }
        }
    }

    private void overflowed(CpuSocket s) {
        report(losses.overflowed(s));
    }

    private void report(Overrun o) {
        if (o != null) {
            listeners.overrun(o.cpu(), o);
        }
    }

    private void noteMalformed(RuntimeException e) {
        if (malformed.getAndIncrement() == 0) {
            LOG.log(Level.WARNING, "skipping a malformed taskstats datagram (logged once, counted in malformed())", e);
        }
    }

    private void handle(CpuSocket s, Netlink.Message m) {
        List<ExitRecord> records;
        try {
            records = ExitDecoder.records(m, family.id(), s.cpu);
        } catch (NetlinkFormatException e) {
            noteMalformed(e);
            return;
        }
        for (ExitRecord r : records) {
            dispatch(r);
        }
    }

    /** Counts {@code record} and hands it to the listeners of its CPU (receiver thread). */
    private void dispatch(ExitRecord record) {
        int cpu = record.cpu();
        if (cpu < 0 || cpu > maxCpu) {
            return;
        }
        received.incrementAndGet(cpu);
        listeners.exit(cpu, record);
    }

    // ------------------------------------------------------------------------------ BPF bridge

    /**
     * Also delivers the exits of threads registered with {@code taskShared} (a {@code TaskShared}) in BPF mode (final slot
     * numbers and exit CPU, {@link ExitRecord.Source#BPF}) to the listeners of the CPU they exited
     * on, on the receiver thread like every other record. Returns a handle that stops it. A
     * sampling-mode instance sees no exits, so nothing arrives from it.
     */
    public AutoCloseable follow(ThreadExitSource taskShared) {
        return taskShared.onThreadExit(e -> {
            ExitRecord record = ExitRecord.of(e);
            commands.post(() -> dispatch(record));
        });
    }

    /**
     * Deregisters every CPU, closes the sockets and stops the receiver thread, waiting for it.
     * Idempotent. Records still queued in the sockets are discarded.
     */
    @Override
    public void close() {
        if (commands.closing()) {
            return;
        }
        commands.close();
        if (!commands.onOwner()) {
            try {
                receiver.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            commands.closeWakeup();
        }
    }

    @Override
    public String toString() {
        return "ExitMonitor[family=" + family.id() + ", received=" + received() + ", droppedRecords=" + droppedRecords()
                + ", overruns=" + droppedOverruns() + (commands.closing() ? ", closed" : "") + "]";
    }
}
