package dev.taskshared;

import dev.taskshared.publisher.BpfExitEvent;
import dev.taskshared.publisher.Publisher;
import dev.taskshared.publisher.Publishers;
import dev.taskshared.region.Region;
import dev.taskshared.sys.Libc;
import dev.taskshared.sys.Rseq;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
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
 * {@code sampling}) and {@code taskshared.sampleIntervalMillis} (default 10) override the choice.
 * Its region is {@code /dev/shm/taskshared-<pid>} (mode 0600), removed when the JVM exits, so a
 * monitor of the same user can read every registered thread ({@code taskshared top <pid>}).
 *
 * <p>Thread-safe.
 */
public final class TaskShared implements AutoCloseable {
    /** Directory of region files. */
    public static final Path REGION_DIR = Path.of("/dev/shm");
    private static final String PREFIX = "taskshared-";
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
        this.pid = b.pid == 0 ? Libc.getpid() : b.pid;
        this.ownProcess = pid == Libc.getpid();
        removeStaleRegions();
        this.publisher = Publishers.start(b.mode, b.sampleInterval.toNanos());
        Region r;
        try {
            Path path = b.regionPath != null ? b.regionPath
                    : REGION_DIR.resolve(PREFIX + Libc.getpid() + "-" + INSTANCES.incrementAndGet());
            r = Region.create(path, publisher.mode().code(), pid, System.nanoTime(), publisher.sampleIntervalNanos(),
                    new long[] {publisher.features()});
        } catch (RuntimeException e) {
            publisher.close();
            throw e;
        }
        this.region = r;
        this.registry = new Registry(pid, region, publisher, publisher.features(), b.reapInterval.toNanos());
    }

    /** The default instance, started on first use. */
    public static TaskShared get() {
        TaskShared d = defaultInstance;
        if (d == null) {
            synchronized (TaskShared.class) {
                d = defaultInstance;
                if (d == null) {
                    d = fromSystemProperties();
                    TaskShared started = d;
                    Runtime.getRuntime().addShutdownHook(new Thread(started::removeRegionFile, "taskshared-shutdown"));
                    defaultInstance = d;
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
        b.regionPath(regionPathOf(Libc.getpid()));
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
    public AutoCloseable onThreadExit(java.util.function.Consumer<BpfExitEvent> listener) {
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
    public java.util.Map<String, dev.taskshared.bpf.ProgramInfo> bpfProgramInfo() {
        return publisher instanceof dev.taskshared.publisher.BpfPublisher b ? b.programInfo() : java.util.Map.of();
    }

    /** The live publisher's mode. */
    public Mode mode() {
        return publisher.mode();
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

    /** The region file other processes can map. */
    public Path regionPath() {
        return region.path();
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

    /** Slots reclaimed from threads that died without releasing them. */
    public long reclaimedSlots() {
        return registry.reclaimedCount();
    }

    /** Reclaims the slots of threads that died without releasing, now (it also happens periodically). */
    public int reclaimDeadThreads() {
        return registry.reapNow();
    }

    /** The conventional region path of process {@code pid}'s default instance. */
    public static Path regionPathOf(int pid) {
        return REGION_DIR.resolve(PREFIX + pid);
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

    private void removeRegionFile() {
        try {
            Files.deleteIfExists(region.path());
        } catch (IOException ignored) {
            // the JVM is exiting
        }
    }

    /** Removes region files left by JVMs that died without running their shutdown hooks. */
    private static void removeStaleRegions() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(REGION_DIR, PREFIX + "*")) {
            for (Path f : files) {
                String rest = f.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                String pidText = dash < 0 ? rest : rest.substring(0, dash);
                if (pidText.chars().allMatch(Character::isDigit) && !pidText.isEmpty()
                        && !Files.exists(Path.of("/proc", pidText))) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: a stale file costs only its name
        }
    }

    /** Options of an instance. */
    public static final class Builder {
        private Mode mode;
        private Duration sampleInterval = Duration.ofMillis(10);
        private Duration reapInterval = Duration.ofSeconds(1);
        private int pid;
        private Path regionPath;

        private Builder() {
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

        /** Where to create the region file (default /dev/shm/taskshared-&lt;pid&gt;-&lt;n&gt;; the default instance's is taskshared-&lt;pid&gt;). */
        public Builder regionPath(Path path) {
            this.regionPath = path;
            return this;
        }

        public TaskShared build() {
            return new TaskShared(this);
        }
    }
}
