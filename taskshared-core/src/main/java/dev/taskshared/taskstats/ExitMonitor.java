package dev.taskshared.taskstats;

import dev.taskshared.TaskShared;

import dev.taskshared.sys.Errno;
import dev.taskshared.sys.EventFd;
import dev.taskshared.sys.NetlinkSocket;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

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

    private final Channel.Family family;
    private final int receiveBufferBytes;
    private final int maxCpu;
    private final EventFd wakeup;
    private final Thread receiver;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;
    /** Set by the receiver as it ends: later commands fail instead of opening sockets nobody closes. */
    private volatile boolean stopped;
    private volatile Throwable receiverFailure;

    // Receiver-thread state.
    private final CpuSocket[] sockets;
    /** Registrations by CPU; copy-on-write so that a listener may (de)register while being called. */
    private final List<Registration>[] listeners;

    // Counters, written by the receiver thread, read by anyone.
    private final AtomicLongArray overruns;
    private final AtomicLongArray dropped;
    private final AtomicLongArray received;
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong listenerFailures = new AtomicLong();
    private volatile int grantedReceiveBuffer;

    /** One socket registered for one CPU. */
    private final class CpuSocket {
        final int cpu;
        final Channel channel;
        long lastDrops;
        boolean overrunSeen;

        CpuSocket(int cpu, Channel channel) {
            this.cpu = cpu;
            this.channel = channel;
        }

        /** Exit events that arrive while this socket awaits an ack are dispatched like any other. */
        final Channel.Events events = new Channel.Events() {
            @Override
            public void message(Netlink.Message message) {
                handle(CpuSocket.this, message);
            }

            @Override
            public void overrun() {
                noteOverrun(CpuSocket.this);
            }
        };
    }

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

        /** Stops delivery; CPUs no other registration covers are deregistered and their sockets closed. Waits for the receiver thread. */
        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            if (!closing) {
                run(() -> {
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
        @SuppressWarnings("unchecked")
        List<Registration>[] l = (List<Registration>[]) new List<?>[n];
        this.listeners = l;
        for (int i = 0; i < n; i++) {
            listeners[i] = new CopyOnWriteArrayList<>();
        }
        this.overruns = new AtomicLongArray(n);
        this.dropped = new AtomicLongArray(n);
        this.received = new AtomicLongArray(n);
        this.wakeup = new EventFd();
        this.receiver = new Thread(this::receive, "taskshared-taskstats-exits");
        receiver.setDaemon(true);
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
        return run(() -> {
            addRegistration(r);
            return r;
        });
    }

    // ------------------------------------------------------------------------------- counters

    /** Receive-buffer overflows (ENOBUFS) seen on all CPU sockets: each lost one or more records. */
    public long droppedOverruns() {
        return sum(overruns);
    }

    /** Receive-buffer overflows seen on {@code cpu}'s socket. */
    public long droppedOverruns(int cpu) {
        return overruns.get(cpu);
    }

    /** Exit records the kernel dropped for our sockets because they were full (SO_MEMINFO), all CPUs. */
    public long droppedRecords() {
        return sum(dropped);
    }

    /** Exit records dropped for {@code cpu}. */
    public long droppedRecords(int cpu) {
        return dropped.get(cpu);
    }

    /** Exit records received (before filtering by listener), all CPUs; a message with a task and a thread-group part counts two. */
    public long received() {
        return sum(received);
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
        return listenerFailures.get();
    }

    /** The receive buffer the kernel granted per socket (SO_RCVBUF, bytes); 0 before the first socket. */
    public int receiveBufferBytes() {
        return grantedReceiveBuffer;
    }

    /** The CPUs watched now (covered by at least one open registration). */
    public CpuSet watchedCpus() {
        return run(() -> {
            java.util.BitSet bits = new java.util.BitSet();
            for (CpuSocket s : sockets) {
                if (s != null) {
                    bits.set(s.cpu);
                }
            }
            return CpuSet.ofBits(bits);
        });
    }

    private static long sum(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i++) {
            s += a.get(i);
        }
        return s;
    }

    // ------------------------------------------------------------------------ receiver thread

    /** Runs {@code work} on the receiver thread and waits for it; inline when already there. */
    private <T> T run(Supplier<T> work) {
        if (Thread.currentThread() == receiver) {
            return work.get();
        }
        if (closing) {
            throw new IllegalStateException("exit monitor is closed");
        }
        if (stopped) {
            throw new IllegalStateException("exit monitor receiver failed: " + receiverFailure, receiverFailure);
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        commands.add(() -> {
            if (stopped) {
                done.completeExceptionally(new IllegalStateException("exit monitor is closed"));
                return;
            }
            try {
                done.complete(work.get());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        wakeup.signal();
        try {
            return done.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the exit monitor", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("exit monitor receiver did not answer within " + COMMAND_TIMEOUT_SECONDS
                    + " s" + (receiverFailure == null ? "" : "; it failed: " + receiverFailure), e);
        }
    }

    private void addRegistration(Registration r) {
        List<Integer> opened = new ArrayList<>();
        try {
            for (int cpu : r.cpus.toArray()) {
                listeners[cpu].add(r);
                if (sockets[cpu] == null) {
                    sockets[cpu] = openSocket(cpu);
                    opened.add(cpu);
                }
            }
        } catch (RuntimeException e) {
            for (int cpu : r.cpus.toArray()) {
                listeners[cpu].remove(r);
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
            listeners[cpu].remove(r);
            if (listeners[cpu].isEmpty() && sockets[cpu] != null) {
                closeSocket(cpu, true);
            }
        }
    }

    private CpuSocket openSocket(int cpu) {
        Channel channel = new Channel();
        try {
            grantedReceiveBuffer = channel.socket.setReceiveBuffer(receiveBufferBytes);
            CpuSocket s = new CpuSocket(cpu, channel);
            s.lastDrops = Math.max(0, channel.socket.drops());
            mask(s, TaskstatsProtocol.CMD_ATTR_REGISTER_CPUMASK, "REGISTER_CPUMASK");
            return s;
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private void closeSocket(int cpu, boolean deregister) {
        CpuSocket s = sockets[cpu];
        sockets[cpu] = null;
        if (s == null) {
            return;
        }
        try {
            if (deregister) {
                // Closing alone would also do: the kernel drops a listener whose socket refuses a
                // record (ECONNREFUSED). Deregistering says so at once.
                mask(s, TaskstatsProtocol.CMD_ATTR_DEREGISTER_CPUMASK, "DEREGISTER_CPUMASK");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "taskstats deregistration of CPU " + cpu + " failed", e);
        } finally {
            s.channel.close();
        }
    }

    /** Sends a (de)register request for the socket's single CPU and waits for the kernel's ack. */
    private void mask(CpuSocket s, int attr, String name) {
        String list = Integer.toString(s.cpu);
        byte[] req = new Netlink.Builder(family.id(), Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, s.channel.nextSeq(), 0,
                TaskstatsProtocol.CMD_GET, TaskstatsProtocol.GENL_VERSION).string(attr, list).finish();
        s.channel.request(req, "TASKSTATS_CMD_ATTR_" + name + "(" + list + ")", s.events);
    }

    private void receive() {
        int[] fds = new int[sockets.length + 1];
        CpuSocket[] polled = new CpuSocket[sockets.length + 1];
        boolean[] ready = new boolean[sockets.length + 1];
        try {
            while (!closing) {
                runCommands();
                int n = 0;
                fds[n++] = wakeup.fd();
                for (CpuSocket s : sockets) {
                    if (s != null) {
                        polled[n] = s;
                        fds[n++] = s.channel.socket.fd();
                    }
                }
                NetlinkSocket.pollReadable(fds, n, ready, 1000);
                if (ready[0]) {
                    wakeup.drain();
                }
                for (int i = 1; i < n; i++) {
                    // A command may have closed this socket since the poll; only read live ones.
                    if (ready[i] && sockets[polled[i].cpu] == polled[i]) {
                        drain(polled[i]);
                    }
                }
            }
        } catch (Throwable t) {
            receiverFailure = t;
            LOG.log(Level.ERROR, "taskstats exit receiver stopped", t);
        } finally {
            stopped = true;
            for (int cpu = 0; cpu < sockets.length; cpu++) {
                closeSocket(cpu, true);
            }
            runCommands(); // those that raced with close fail rather than hang
            if (closing) {
                wakeup.close();
            }
        }
    }

    private void runCommands() {
        Runnable c;
        while ((c = commands.poll()) != null) {
            c.run();
        }
    }

    private void drain(CpuSocket s) {
        for (int i = 0; i < BATCH; i++) {
            long n = s.channel.socket.receive(s.channel.buffer, false);
            if (n == -Errno.EAGAIN) {
                if (s.overrunSeen) {
                    refreshDrops(s); // drops counted after the ENOBUFS we read, until the queue drained
                }
                return;
            }
            if (n == -Errno.ENOBUFS) {
                noteOverrun(s);
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

    private void noteMalformed(RuntimeException e) {
        if (malformed.getAndIncrement() == 0) {
            LOG.log(Level.WARNING, "skipping a malformed taskstats datagram (logged once, counted in malformed())", e);
        }
    }

    private void noteOverrun(CpuSocket s) {
        overruns.incrementAndGet(s.cpu);
        s.overrunSeen = true;
        refreshDrops(s);
    }

    private void refreshDrops(CpuSocket s) {
        long drops = s.channel.socket.drops();
        long delta;
        long total;
        if (drops < 0) { // no SO_MEMINFO: at least one record was lost per overrun
            delta = -1;
            total = -1;
            dropped.incrementAndGet(s.cpu);
        } else {
            delta = drops - s.lastDrops;
            if (delta <= 0) {
                return;
            }
            s.lastDrops = drops;
            total = dropped.addAndGet(s.cpu, delta);
        }
        Overrun o = new Overrun(s.cpu, delta, total);
        for (Registration r : listeners[s.cpu]) {
            try {
                r.listener.onOverrun(o);
            } catch (RuntimeException e) {
                noteListenerFailure(e);
            }
        }
    }

    private void noteListenerFailure(RuntimeException e) {
        if (listenerFailures.getAndIncrement() == 0) {
            LOG.log(Level.WARNING, "an exit listener threw (logged once, counted in listenerFailures())", e);
        }
    }

    private void handle(CpuSocket s, Netlink.Message m) {
        if (m.type() != family.id()) {
            if (m.isError() && Netlink.errorCode(m) != 0) {
                noteMalformed(new NetlinkFormatException("unexpected NLMSG_ERROR " + Errno.name(Netlink.errorCode(m))
                        + " on the CPU " + s.cpu + " socket"));
            }
            return;
        }
        List<TaskstatsProtocol.Aggregate> aggregates;
        try {
            aggregates = TaskstatsProtocol.aggregates(Netlink.genl(m));
        } catch (NetlinkFormatException e) {
            noteMalformed(e);
            return;
        }
        for (TaskstatsProtocol.Aggregate a : aggregates) {
            TaskStats st = a.stats();
            ExitRecord record;
            if (a.kind() == ExitRecord.Kind.TASK) {
                int tgid = st.has(TaskStats.Field.AC_TGID) ? (int) st.acTgid() : 0;
                record = new ExitRecord(a.id(), tgid, st.comm(), s.cpu, ExitRecord.Source.TASKSTATS, a.kind(), st);
            } else {
                // The group's sums name no thread, and the kernel sends them with an empty comm:
                // say so rather than lend them the last thread's id and name.
                record = new ExitRecord(0, a.id(), st.comm(), s.cpu, ExitRecord.Source.TASKSTATS, a.kind(), st);
            }
            received.incrementAndGet(s.cpu);
            for (Registration r : listeners[s.cpu]) {
                try {
                    r.listener.onExit(record);
                    r.delivered.incrementAndGet();
                } catch (RuntimeException e) {
                    noteListenerFailure(e);
                }
            }
        }
    }

    /**
     * Also delivers the exits of threads registered with {@code taskShared} in BPF mode (final slot
     * numbers and exit CPU, {@link ExitRecord.Source#BPF}) to the listeners of the CPU they exited
     * on, on the receiver thread like every other record. Returns a handle that stops it. A
     * sampling-mode instance sees no exits, so nothing arrives from it.
     */
    public AutoCloseable follow(TaskShared taskShared) {
        return taskShared.onThreadExit(e -> {
            ExitRecord record = ExitRecord.of(e);
            commands.add(() -> dispatch(record));
            wakeup.signal();
        });
    }

    /** Hands a record from a publisher to the listeners of its CPU (receiver thread). */
    private void dispatch(ExitRecord record) {
        int cpu = record.cpu();
        if (cpu < 0 || cpu > maxCpu) {
            return;
        }
        received.incrementAndGet(cpu);
        for (Registration r : listeners[cpu]) {
            try {
                r.listener.onExit(record);
                r.delivered.incrementAndGet();
            } catch (RuntimeException e) {
                noteListenerFailure(e);
            }
        }
    }

    /**
     * Deregisters every CPU, closes the sockets and stops the receiver thread, waiting for it.
     * Idempotent. Records still queued in the sockets are discarded.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        wakeup.signal();
        if (Thread.currentThread() != receiver) {
            try {
                receiver.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            wakeup.close();
        }
    }

    @Override
    public String toString() {
        return "ExitMonitor[family=" + family.id() + ", received=" + received() + ", droppedRecords=" + droppedRecords()
                + ", overruns=" + droppedOverruns() + (closing ? ", closed" : "") + "]";
    }
}
