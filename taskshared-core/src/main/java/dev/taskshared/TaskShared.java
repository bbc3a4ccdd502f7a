package dev.taskshared;

import dev.taskshared.exit.ThreadExit;
import dev.taskshared.exit.ThreadExitSource;
import dev.taskshared.publisher.Publisher;
import dev.taskshared.publisher.DescriptorLimit;
import dev.taskshared.publisher.SamplingPublisher;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionLocator;
import dev.taskshared.sys.Libc;
import dev.taskshared.sys.Platform;
import dev.taskshared.sys.Rseq;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Entry point: per-thread scheduler statistics read with plain loads.
 *
 * <pre>{@code
 * ThreadStats me = TaskShared.current();        // once per thread: registers, then cached
 * Interval op = me.newInterval();                // keep and reuse: no allocation per use
 * op.start(); handle(request); op.stop();
 * log(op.wallNanos(), op.cpuNanos(), op.offCpuNanos(), op.runDelayNanos(), op.switches());
 * }</pre>
 *
 * <p>A process normally uses the default instance ({@link #get()}), started on first use in the
 * best available mode: {@link Mode#BPF} when the process may load BPF programs, else
 * {@link Mode#SAMPLING}. The system properties {@code taskshared.mode} ({@code bpf},
 * {@code sampling}), {@code taskshared.dataPath} ({@code task_storage}, {@code map_pages}) and
 * {@code taskshared.sampleIntervalMillis} (default 10) override the choice;
 * {@code taskshared.sampleCpuBudgetPercent} (default 1) bounds the sampler's CPU, and
 * {@code taskshared.fdMargin} keeps descriptors free for the application ({@link Builder}).
 *
 * <p>Its region is an anonymous memfd named {@code taskshared-region}, open in this process, that
 * a monitor of the same user (or root) opens as {@code /proc/<pid>/fd/<n>}
 * ({@code taskshared top <pid>}). It has no name in any file system, so no other user can
 * pre-create or hold it, and the kernel frees it when the process ends, however it ends.
 *
 * <p>Thread-safe.
 */
public final class TaskShared implements AutoCloseable, ThreadExitSource {
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static volatile TaskShared defaultInstance;

    private final Registry registry;
    private final Region region;
    private final Publisher publisher;
    private final int pid;
    private final boolean ownProcess;
    private final ThreadLocal<ThreadStats> local = new ThreadLocal<>();
    private final Map<Integer, ThreadStats> carriers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private TaskShared(Builder b) {
        Platform.current(); // an unsupported OS or architecture fails here, saying which, before any downcall
        this.pid = b.pid == 0 ? Libc.getpid() : b.pid;
        this.ownProcess = pid == Libc.getpid();
        this.publisher = Publishers.start(b.mode, b.sampleInterval.toNanos(),
                b.dataPath != null ? b.dataPath : Publishers.dataPathFromProperty(),
                b.hostPublisherSet ? b.hostPublisher : Publishers.hostPublisherFromProperty());
        Region r;
        try {
            // Only the default instance takes the name monitors look for; others are numbered.
            String name = b.defaultRegion ? RegionLocator.DEFAULT_NAME : RegionLocator.DEFAULT_NAME + "-" + INSTANCES.incrementAndGet();
            r = Region.create(name, publisher.kind().code(), pid, System.nanoTime(), publisher.sampleIntervalNanos(),
                    new long[] {publisher.features()});
            if (publisher instanceof SamplingPublisher sampler) {
                if (b.sampleCpuBudget > 0) {
                    sampler.setCpuBudget(b.sampleCpuBudget);
                }
                sampler.setDescriptorLimit(b.descriptorLimit);
                sampler.publishPeriodInto(r.header());
            }
        } catch (RuntimeException e) {
            publisher.close();
            throw e;
        }
        this.region = r;
        this.registry = new Registry(pid, region, publisher, publisher.features(), b.reapInterval.toNanos(), b.descriptorLimit);
    }

    /** The default instance, started on first use. */
    public static TaskShared get() {
        TaskShared d = defaultInstance;
        if (d == null) {
            synchronized (TaskShared.class) {
                d = defaultInstance;
                if (d == null) {
                    d = fromSystemProperties();
                    defaultInstance = d; // no shutdown hook: the kernel frees the region with the process
                }
            }
        }
        return d;
    }

    private static TaskShared fromSystemProperties() {
        Builder b = builder();
        String mode = System.getProperty("taskshared.mode", "auto");
        switch (mode) {
            case "bpf" -> b.mode(Mode.BPF);
            case "sampling" -> b.mode(Mode.SAMPLING);
            case "auto" -> { }
            default -> throw new IllegalArgumentException("taskshared.mode=" + mode + ": expected auto, bpf or sampling");
        }
        b.sampleInterval(Duration.ofMillis(Long.getLong("taskshared.sampleIntervalMillis", 10)));
        b.defaultRegion = true; // the budget and descriptor margin properties are read by the builder's defaults
        return b.build();
    }

    /** Whether the default instance has been started (without starting it). */
    public static boolean isStarted() {
        return defaultInstance != null;
    }

    /** The calling thread's handle in the default instance: {@code get().currentThread()}. */
    public static ThreadStats current() {
        return get().currentThread();
    }

    /** A builder for an instance of one's own (tests, monitors); most code uses {@link #get()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The calling thread's handle, registering it on first call; later calls return the cached
     * handle (a thread-local lookup). On a virtual thread: the handle of its current carrier.
     */
    public ThreadStats currentThread() {
        checkOwnProcess();
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return carrierHandle();
        }
        ThreadStats h = local.get();
        if (h == null || h.isReleased()) {
            h = registry.register(Libc.gettid(), t, Rseq.currentThreadArea());
            local.set(h);
        }
        return h;
    }

    private ThreadStats carrierHandle() {
        int tid = Libc.gettid();
        ThreadStats h = carriers.get(tid);
        if (h == null || h.isReleased()) {
            h = registry.register(tid, null, null);
            carriers.put(tid, h);
        }
        return h;
    }

    /**
     * Registers thread {@code tid} of the watched process (for monitors; a thread registers
     * itself with {@link #currentThread()}). Returns the live handle if it is registered already.
     *
     * @throws dev.taskshared.sys.ErrnoException ENOENT if there is no such thread
     */
    public ThreadStats register(int tid) {
        return registry.register(tid, null, null);
    }

    /** Releases {@code tid}'s registration if there is one; returns whether there was. */
    public boolean release(int tid) {
        return registry.releaseTid(tid);
    }

    private void checkOwnProcess() {
        if (!ownProcess) {
            throw new IllegalStateException("this instance watches process " + pid + ", not the calling thread's");
        }
    }

    /**
     * Calls {@code listener} with the final numbers and exit CPU of every registered thread that
     * exits, after its slot is freed, on the publisher's thread (BPF mode; a sampling publisher
     * does not see exits). Returns a handle that removes the listener.
     */
    @Override
    public AutoCloseable onThreadExit(java.util.function.Consumer<ThreadExit> listener) {
        return registry.addExitListener(listener);
    }

    /**
     * Registered threads' exits that could not be reported because the publisher's ring buffer
     * was full (their slots are still reclaimed, by the reaper). Always 0 in sampling mode.
     */
    public long lostThreadExits() {
        return publisher.lostExits();
    }

    /**
     * What the kernel reports of each BPF program of this instance (run counts and run time while
     * BPF statistics are enabled), by program name; empty in sampling mode.
     */
    public java.util.Map<String, BpfProgramStats> bpfProgramInfo() {
        if (!(publisher instanceof dev.taskshared.publisher.BpfPublisher b)) {
            return java.util.Map.of();
        }
        java.util.Map<String, BpfProgramStats> m = new java.util.LinkedHashMap<>();
        b.programInfo().forEach((name, p) -> m.put(name, new BpfProgramStats(p.name(), p.id(), p.runTimeNs(), p.runCount(),
                p.recursionMisses())));
        return m;
    }

    /** The live publisher's mode. */
    public Mode mode() {
        return Mode.of(publisher.kind());
    }

    /**
     * How numbers reach the slots: {@code task_storage} (the kernel writes each thread's slot in
     * this JVM's memory through task-local storage, Linux 6.13+), {@code map_pages} (slot pages in
     * BPF maps, older kernels) or {@code procfs} (sampling). {@link #modeDescription()} says why.
     */
    public String dataPath() {
        return publisher.dataPathName();
    }

    /** Why this mode is live: for example why BPF could not be used. */
    public String modeDescription() {
        return publisher.description();
    }

    /** Whether the live publisher fills {@code feature}. */
    public boolean supports(Feature feature) {
        return (publisher.features() & feature.mask()) != 0;
    }

    /** The process whose threads this instance registers. */
    public int pid() {
        return pid;
    }

    /**
     * Where another process opens this instance's region while it is open:
     * {@code /proc/<pid>/fd/<n>} of this process, a memfd (same user or root only). Not a file
     * name: it is valid only while this instance is open, and means nothing in another process's
     * namespace.
     */
    public Path regionPath() {
        return region.path();
    }

    /**
     * The sampler's live period in nanoseconds: the configured interval, or longer when passes
     * over every registered thread would otherwise exceed the CPU budget; values are at most this
     * old. 0 in BPF mode, where slots are written at every context switch.
     */
    public long samplePeriodNanos() {
        return publisher instanceof SamplingPublisher s ? s.samplePeriodNanos() : 0;
    }

    /**
     * Passes the sampler has completed over every registered thread (a value read after this
     * count has grown by two is at most one pass old); 0 in BPF mode.
     */
    public long samplePasses() {
        return publisher instanceof SamplingPublisher s ? s.samples() : 0;
    }

    /** The sampler's CPU budget as a fraction of one core; 0 in BPF mode. */
    public double sampleCpuBudget() {
        return publisher instanceof SamplingPublisher s ? s.cpuBudget() : 0;
    }

    /** Threads registered now. */
    public int registeredThreads() {
        return registry.registeredCount();
    }

    /**
     * The handles of the threads registered now, a snapshot copy in no particular order: for
     * monitors, metrics and periodic events, which read them with loads. Costs one lock and one
     * list; a handle in it may be released at any time after (then its reads throw).
     */
    public java.util.List<ThreadStats> threads() {
        return registry.handles();
    }

    /** Slots in the pages added so far (32 per page). */
    public int slotCapacity() {
        return registry.slotCapacity();
    }

    /**
     * Registrations released because their slot stopped being published while the thread ran
     * (host publisher: another holder of the shared map deleted or replaced the thread's entry).
     * Their handles say why ({@link ThreadStats#releaseReason()}); the thread's next
     * {@link #currentThread()} registers it again. Always 0 with a publisher of this JVM's own.
     */
    public long lostRegistrations() {
        return registry.lostCount();
    }

    /** Slots reclaimed from threads that died without releasing them. */
    public long reclaimedSlots() {
        return registry.reclaimedCount();
    }

    /** Reclaims the slots of threads that died without releasing, now (it also happens periodically). */
    public int reclaimDeadThreads() {
        return registry.reapNow();
    }

    /**
     * Process {@code pid}'s default region as {@code /proc/<pid>/fd/<n>}, if it has one that this
     * user may open (same user or root). Lists the process's descriptors.
     */
    public static java.util.Optional<Path> findRegion(int pid) {
        return RegionLocator.candidates(pid).stream().findFirst();
    }

    /**
     * Stops publishing, releases every registration and kernel object, and removes the region.
     * Handles of this instance then throw on read. The default instance should not be closed.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        registry.close();
        publisher.close();
        region.close();
        if (this == defaultInstance) {
            defaultInstance = null;
        }
    }

    /** Options of an instance. */
    public static final class Builder {
        private Mode mode;
        private Duration sampleInterval = Duration.ofMillis(10);
        private Duration reapInterval = Duration.ofSeconds(1);
        private int pid;
        private dev.taskshared.publisher.BpfPublisher.DataPath dataPath;
        private double sampleCpuBudget;
        private DescriptorLimit descriptorLimit = DescriptorLimit.fromSystemProperties();
        private boolean defaultRegion;
        private boolean hostPublisherSet;
        private Path hostPublisher;

        private Builder() {
        }

        /**
         * Force the BPF data path (default: the best the kernel offers, or the system property
         * {@code taskshared.dataPath}): {@code task_storage} (task-local storage with user pointers,
         * Linux 6.13+) or {@code map_pages}, as {@link TaskShared#dataPath()} names them; {@code auto}
         * or null: the best available.
         *
         * @throws IllegalArgumentException for any other name
         */
        public Builder dataPath(String name) {
            this.dataPath = Publishers.dataPathNamed(name, "dataPath");
            return this;
        }

        /**
         * Where to look for the host publisher (default: the system property
         * {@code taskshared.hostPublisher}, else /sys/fs/bpf/taskshared); null: do not use one.
         */
        public Builder hostPublisher(Path dir) {
            this.hostPublisher = dir;
            this.hostPublisherSet = true;
            return this;
        }

        /** Force a mode; by default the best available is chosen. */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /** Sampling mode's period (default 10 ms). */
        public Builder sampleInterval(Duration interval) {
            this.sampleInterval = interval;
            return this;
        }

        /** How often dead threads' slots are reclaimed (default 1 s). */
        public Builder reapInterval(Duration interval) {
            this.reapInterval = interval;
            return this;
        }

        /** Watch another process's threads (a monitor) instead of this one's. */
        public Builder watchProcess(int pid) {
            this.pid = pid;
            return this;
        }

        /**
         * Sampling mode's CPU budget, a fraction of one core in (0, 1] (default 0.01, or the system
         * property {@code taskshared.sampleCpuBudgetPercent}): the period grows past the interval
         * when a pass over every registered thread would cost more.
         */
        public Builder sampleCpuBudget(double fractionOfOneCore) {
            if (!(fractionOfOneCore > 0 && fractionOfOneCore <= 1)) {
                throw new IllegalArgumentException("sampling CPU budget must be in (0, 1] of one core, got " + fractionOfOneCore);
            }
            this.sampleCpuBudget = fractionOfOneCore;
            return this;
        }

        /**
         * Descriptors kept free for the application below the soft RLIMIT_NOFILE (default 10% of
         * it, at least 64, or the system property {@code taskshared.fdMargin}): a registration
         * that would need a descriptor within the margin fails with
         * {@link dev.taskshared.publisher.DescriptorLimitException}.
         */
        public Builder descriptorMargin(int descriptors) {
            this.descriptorLimit = DescriptorLimit.margin(descriptors);
            return this;
        }

        public TaskShared build() {
            return new TaskShared(this);
        }
    }
}
