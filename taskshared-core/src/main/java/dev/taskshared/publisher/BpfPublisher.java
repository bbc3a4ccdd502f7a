package dev.taskshared.publisher;

import dev.taskshared.exit.ThreadExit;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.bpf.AttachType;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.Owned;
import dev.taskshared.bpf.MapSpec;
import dev.taskshared.bpf.ProgramInfo;
import dev.taskshared.bpf.ProgramSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.RingBuffer;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.region.PublisherKind;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotFeature;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.region.SlotWriter;
import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The kernel writes each registered thread's slot at every context switch: eBPF programs on the
 * sched_switch and sched_process_exit tracepoints ({@link SchedPrograms}), built and loaded from
 * Java. Two data paths:
 *
 * <ul>
 *   <li>{@link DataPath#TASK_STORAGE} (Linux 6.13+): a task-local storage map whose value
 *   ({@link TaskRecord}) holds a {@code __uptr} to the thread's slot in the region, memory of this
 *   JVM that the kernel pins at registration. Registering is pidfd_open + one map update + one run
 *   of the seed program; the thread is named by a pidfd of the caller's own PID namespace, so this
 *   is correct in containers. Nothing is kept per thread in user space.
 *   <li>{@link DataPath#MAP_PAGES} (older kernels; privileged JVMs in the initial PID namespace
 *   only): slots live in one-page mmapable array maps held in an array of maps, found by tid.
 * </ul>
 *
 * A registered thread's exit writes its final numbers and {@link SlotLayout#STATE_EXITED} into
 * its slot and comes back through a ring buffer with its exit CPU. Everything is a file
 * descriptor: closing the publisher, or the JVM dying, detaches the programs and frees the maps.
 */
public final class BpfPublisher implements Publisher {

    /** Where the programs find a registered thread's slot. */
    public enum DataPath {
        /** Task-local storage with a user pointer into the JVM's region (Linux 6.13+). */
        TASK_STORAGE("task_storage"),
        /** Slot pages in BPF array maps found by tid (any BPF-capable kernel; not in PID namespaces). */
        MAP_PAGES("map_pages");

        private final String jsonName;

        DataPath(String jsonName) {
            this.jsonName = jsonName;
        }

        /** As {@code doctor --json} spells it. */
        public String jsonName() {
            return jsonName;
        }
    }

    /** Everything the slot defines. */
    public static final long FEATURES = SlotFeature.allKnown();
    /** The map-pages path seeds utime/stime from nothing exact: it does not publish them. */
    static final long MAP_PAGES_FEATURES = FEATURES & ~SlotFeature.maskOf(SlotFeature.UTIME, SlotFeature.STIME);
    static final int MAX_THREADS = RegionHeader.MAX_PAGES * SlotLayout.SLOTS_PER_PAGE;
    private static final int RING_BYTES = 256 * 1024;
    /** Reaper passes between two /proc checks of one map-pages registration (one a second: one a minute). */
    static final int PROC_BACKSTOP_PASSES = 60;
    /** The initial PID namespace's inode (PROC_PID_INIT_INO). */
    private static final long INIT_PID_NS_INODE = 0xEFFFFFFCL;

    private final DataPath dataPath;
    private final String pathReason;
    private final Owned owned = new Owned();
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final List<BpfLink> links = new ArrayList<>();
    private final BpfMap exits;
    private final BpfMap drops;
    private final RingBuffer ring;
    private final Thread exitReader;
    private final Path path;
    private final boolean btfTyped;
    private String typedFailure;
    private volatile Consumer<ThreadExit> exitSink = e -> { };
    private volatile boolean running = true;
    private volatile String hostNote;

    private BpfPublisher(DataPath requested, boolean preferBtfTyped) {
        try {
            exits = own(BpfMap.create(MapSpec.ringbuf(RING_BYTES).named("ts_exits")));
            drops = own(BpfMap.create(MapSpec.array(8, 1).named("ts_exit_drops")));
            ring = own(RingBuffer.open(exits));
            Path chosen = null;
            String reason;
            if (requested != DataPath.MAP_PAGES) {
                try {
                    chosen = new TaskStoragePath();
                    reason = "task-local storage with user pointers (Linux 6.13+)";
                } catch (RuntimeException e) {
                    if (requested == DataPath.TASK_STORAGE) {
                        throw e;
                    }
                    reason = "task storage with __uptr unavailable (" + e.getMessage() + ")";
                }
            } else {
                reason = "map pages requested";
            }
            if (chosen == null) {
                requireInitialPidNamespace();
                chosen = new MapPagesPath();
            }
            path = chosen;
            dataPath = chosen instanceof TaskStoragePath ? DataPath.TASK_STORAGE : DataPath.MAP_PAGES;
            pathReason = reason;
            boolean typed = false;
            if (preferBtfTyped) {
                try {
                    attachAll(true);
                    typed = true;
                } catch (RuntimeException e) {
                    if (dataPath == DataPath.TASK_STORAGE) {
                        throw e; // task storage needs BTF-typed programs
                    }
                    // An older kernel or verifier: the raw tracepoints with probe reads still work.
                    typedFailure = e.getMessage();
                    closeProgramsAndLinks();
                }
            }
            if (!typed) {
                attachAll(false);
            }
            btfTyped = typed;
        } catch (RuntimeException | Error e) {
            closeProgramsAndLinks();
            owned.close();
            throw e;
        }
        exitReader = Thread.ofPlatform().daemon().name("taskshared-bpf-exits").unstarted(this::readExits);
        exitReader.start();
    }

    /**
     * Loads and attaches the programs on the best data path the kernel offers (task storage, else
     * map pages), BTF-typed where the kernel allows, else on raw tracepoints.
     *
     * @throws RuntimeException with the kernel's reason (an {@link ErrnoException} with hints, or a
     *     {@link dev.taskshared.bpf.VerifierException} carrying the verifier log)
     */
    public static BpfPublisher start() {
        return new BpfPublisher(null, true);
    }

    /** Like {@link #start()} on the given data path, or failing with the reason it is unavailable. */
    public static BpfPublisher start(DataPath path) {
        return new BpfPublisher(path, true);
    }

    /** The map-pages path on raw tracepoints only (the oldest fallback), for tests. */
    static BpfPublisher startRaw() {
        return new BpfPublisher(DataPath.MAP_PAGES, false);
    }

    private void attachAll(boolean typed) {
        Btf btf = Btf.vmlinux();
        SchedPrograms.Kernel k = SchedPrograms.Kernel.fromBtf(btf, typed);
        attach("ts_switch", "sched_switch", SchedPrograms.schedSwitch(path.lookup(), k), typed, btf);
        attach("ts_exit", "sched_process_exit",
                SchedPrograms.schedProcessExit(path.lookup(), k, exits, drops, path.forgetOnExit()), typed, btf);
        path.loadHelpers(k, btf);
    }

    private void attach(String name, String tracepoint, Instructions insns, boolean typed, Btf btf) {
        ProgramSpec spec = typed
                ? ProgramSpec.of(ProgramType.TRACING, insns).withAttach(AttachType.TRACE_RAW_TP, btf.rawTracepointTypeId(tracepoint))
                : ProgramSpec.of(ProgramType.RAW_TRACEPOINT, insns);
        BpfProgram p = BpfProgram.load(spec.named(name));
        programs.put(name, p);
        links.add(typed ? BpfLink.tracing(p) : p.attachRawTracepoint(tracepoint));
    }

    private static void requireInitialPidNamespace() {
        long inode;
        try {
            inode = (long) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self/ns/pid"), "unix:ino");
        } catch (java.io.IOException | RuntimeException e) {
            return; // cannot tell: assume the initial namespace, as before namespaces were checked
        }
        if (inode != INIT_PID_NS_INODE) {
            throw new UnsupportedOperationException("the map-pages data path matches threads by host tid and cannot name threads "
                    + "inside a PID namespace (this process is in one); it needs task storage with __uptr (Linux 6.13+)");
        }
    }

    /** The data path the programs use. */
    public DataPath dataPath() {
        return dataPath;
    }

    /** Records why the host publisher was not used instead ({@link #description()} says it). */
    public void noteHostPublisher(String whyNot) {
        this.hostNote = whyNot;
    }

    @Override
    public String dataPathName() {
        return dataPath.jsonName();
    }

    /** Why this data path: for example why task storage could not be used. */
    public String dataPathReason() {
        return pathReason;
    }

    /** Whether the programs are BTF-typed (tp_btf) rather than raw tracepoints. */
    public boolean btfTyped() {
        return btfTyped;
    }

    private <T extends AutoCloseable> T own(T resource) {
        return owned.add(resource);
    }

    @Override
    public PublisherKind kind() {
        return PublisherKind.BPF;
    }

    @Override
    public long features() {
        return dataPath == DataPath.TASK_STORAGE ? FEATURES : MAP_PAGES_FEATURES;
    }

    @Override
    public long sampleIntervalNanos() {
        return 0;
    }

    @Override
    public String description() {
        return "BPF programs on sched_switch and sched_process_exit write every registered thread's slot at each "
                + "context switch (data path " + dataPath.jsonName() + ": " + pathReason + "; "
                + (btfTyped ? "BTF-typed tracepoints" : "raw tracepoints" + (typedFailure == null ? "" : "; tp_btf failed: " + typedFailure))
                + ")" + (hostNote == null ? "" : "; host publisher not used: " + hostNote);
    }

    @Override
    public void setExitSink(Consumer<ThreadExit> sink) {
        this.exitSink = sink;
    }

    @Override
    public boolean needsProcTask() {
        return path.needsProcTask();
    }

    @Override
    public synchronized Page newPage(int index, Region region) {
        return path.newPage(index, region);
    }

    @Override
    public synchronized void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        path.register(pid, tid, task, slotIndex, slot);
    }

    @Override
    public synchronized void unregister(int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        path.unregister(tid, task, slot);
    }

    @Override
    public boolean alive(ProcTask task, int slotIndex, MemorySegment slot, MemorySegment buf) {
        // The exit program marks the slot on both paths; the map-pages path also has the kernel's /proc word.
        return SlotReader.getInt(slot, SlotLayout.STATE) != SlotLayout.STATE_EXITED && (!path.needsProcTask() || task.alive(buf));
    }

    /**
     * The slot's exit mark every pass; on the map-pages path the /proc word of a given slot only
     * every {@link #PROC_BACKSTOP_PASSES}th pass, spread over the passes by slot index: a backstop
     * for an exit the program did not mark, at 1/60 of the cost of reading /proc every pass.
     */
    @Override
    public boolean aliveAtReap(ProcTask task, MemorySegment slot, int slotIndex, long pass, MemorySegment buf) {
        if (SlotReader.getInt(slot, SlotLayout.STATE) == SlotLayout.STATE_EXITED) {
            return false;
        }
        return !path.needsProcTask() || (slotIndex + pass) % PROC_BACKSTOP_PASSES != 0 || task.alive(buf);
    }

    /** Exit records lost because the ring buffer was full (counted by the exit program). */
    @Override
    public long lostExits() {
        return drops.lookup(0).map(b -> java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()).orElse(0L);
    }

    /** What the kernel reports of each program, with run-time statistics when they are enabled. */
    public Map<String, ProgramInfo> programInfo() {
        Map<String, ProgramInfo> m = new LinkedHashMap<>();
        programs.forEach((name, p) -> m.put(name, p.info()));
        return m;
    }

    private void readExits() {
        while (running) {
            try {
                ring.poll(r -> exitSink.accept(ExitRingRecord.decode(r)), Duration.ofMillis(100));
            } catch (RuntimeException e) {
                if (running) {
                    System.getLogger("dev.taskshared").log(System.Logger.Level.WARNING, "reading BPF exit events", e);
                    sleepQuietly();
                }
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        try {
            exitReader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeProgramsAndLinks();
        synchronized (this) {
            path.close();
        }
        owned.close();
    }

    private void closeProgramsAndLinks() {
        links.forEach(BpfLink::close);
        links.clear();
        programs.values().forEach(BpfProgram::close);
        programs.clear();
    }

    /** Seeds a slot and a record from /proc for a thread other than the caller (or on the map-pages path). */
    static void seedFromProc(ProcTask task, MemorySegment slot, MemorySegment record, int slotIndex, long[] scratch3,
                                     long[] switches3, MemorySegment buf) {
        boolean self = task.tid() == Libc.gettid();
        if (self) {
            Libc.threadSwitches(switches3); // no /proc/<tid>/status read for the thread itself
        }
        if (!task.readSchedstat(buf, scratch3)
                || !self && task.readDetails(buf, Long.MAX_VALUE, switches3) != ProcTask.DETAILS_READ) {
            throw new IllegalStateException("thread " + task.tid() + " exited during registration");
        }
        long sum = scratch3[0];
        long now = System.nanoTime();
        if (self) {
            for (int tries = 0; tries < 10; tries++) { // a clock pair not split by a preemption
                long before = System.nanoTime();
                sum = Libc.threadCpuTimeNanos();
                now = System.nanoTime();
                if (now - before < 20_000) {
                    break;
                }
            }
        }
        int seq = SlotWriter.begin(slot);
        SlotWriter.putLong(slot, SlotLayout.SUM_EXEC_RUNTIME_NS, sum);
        SlotWriter.putLong(slot, SlotLayout.RUN_DELAY_NS, scratch3[1]);
        SlotWriter.putLong(slot, SlotLayout.PCOUNT, scratch3[2]);
        SlotWriter.putLong(slot, SlotLayout.ON_CPU_SINCE_NS, self ? now : 0);
        SlotWriter.putLong(slot, SlotLayout.OFF_CPU_ORIGIN_NS, now - sum);
        SlotWriter.putLong(slot, SlotLayout.OFF_CPU_NS, 0);
        SlotWriter.putInt(slot, SlotLayout.CPU, self ? Libc.schedGetcpu() : -1);
        SlotWriter.end(slot, seq);
        record.fill((byte) 0);
        record.set(JAVA_LONG, TaskRecord.NVCSW_BASE, switches3[0]);
        record.set(JAVA_LONG, TaskRecord.NIVCSW_BASE, switches3[1]);
        record.set(JAVA_INT, TaskRecord.FLAGS, TaskRecord.SEEDED);
        record.set(JAVA_INT, TaskRecord.SLOT_INDEX, slotIndex);
    }

    /** What differs between the data paths. Called under the publisher's lock. */
    private abstract static class Path implements AutoCloseable {
        // Registration scratch, used under the publisher's lock: no allocation per registration.
        final Arena arena = Arena.ofAuto();
        final MemorySegment attr = arena.allocate(Bpf.ATTR_SIZE, 8);
        final MemorySegment record = arena.allocate(TaskRecord.LAYOUT);
        final MemorySegment key = arena.allocate(4, 4);
        final MemorySegment buf = arena.allocate(ProcTask.BUFFER_SIZE);
        final long[] schedstat = new long[3];
        final long[] switches = new long[3]; // nvcsw, nivcsw, then the last CPU from a foreign thread's stat

        abstract SchedPrograms.Lookup lookup();

        /** A map the exit program removes the tid from, or null. */
        abstract BpfMap forgetOnExit();

        void loadHelpers(SchedPrograms.Kernel k, Btf btf) {
        }

        abstract boolean needsProcTask();

        abstract Page newPage(int index, Region region);

        abstract void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot);

        abstract void unregister(int tid, ProcTask task, MemorySegment slot);

        @Override
        public abstract void close();
    }

    /** Task-local storage with a {@code __uptr} to the slot; slots are pages of the region file. */
    private final class TaskStoragePath extends Path {
        private final BpfMap tasks;
        private TaskStorageRegistrar registrar;

        TaskStoragePath() {
            tasks = own(TaskStorageMap.create("ts_tasks"));
        }

        @Override
        SchedPrograms.Lookup lookup() {
            return new SchedPrograms.TaskStorageLookup(tasks);
        }

        @Override
        BpfMap forgetOnExit() {
            return null; // the kernel frees task storage with the task
        }

        @Override
        void loadHelpers(SchedPrograms.Kernel k, Btf btf) {
            BpfProgram seed = BpfProgram.load(ProgramSpec.of(ProgramType.RAW_TRACEPOINT, SchedPrograms.seed(lookup(), k)).named("ts_seed"));
            programs.put("ts_seed", seed);
            BpfProgram seedTask = TaskStorageRegistrar.loadSeedTask(tasks, k, btf, "ts_seed_task");
            if (seedTask != null) {
                programs.put("ts_seed_task", seedTask);
            }
            registrar = new TaskStorageRegistrar(tasks, seed, seedTask);
        }

        @Override
        boolean needsProcTask() {
            return false;
        }

        @Override
        Page newPage(int index, Region region) {
            return new Page(region.filePage(index), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(index));
        }

        @Override
        void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot) {
            registrar.register(pid, tid, slotIndex, slot, true);
        }

        @Override
        void unregister(int tid, ProcTask task, MemorySegment slot) {
            registrar.unregister(tid, slot, false);
        }

        @Override
        public void close() {
        }
    }

    /** One-page mmapable array maps in an array of maps, found by tid (bit array, then hash). */
    private final class MapPagesPath extends Path {
        private static final VarHandle BITS = ValueLayout.JAVA_LONG.varHandle();
        private final BpfMap tidBits;
        private final MemorySegment bits;
        private final BpfMap tidSlot;
        private final BpfMap pages;
        private final List<BpfMap> pageMaps = new ArrayList<>();

        MapPagesPath() {
            tidBits = own(BpfMap.create(MapSpec.array(8, (pidMax() + 63) / 64).mmapable().named("ts_tid_bits")));
            bits = tidBits.mmap();
            tidSlot = own(BpfMap.create(MapSpec.hash(4, TaskRecord.SIZE, MAX_THREADS).named("ts_tid_slot")));
            BpfMap template = own(BpfMap.create(pageSpec("ts_page_tmpl")));
            pages = own(BpfMap.create(MapSpec.arrayOfMaps(RegionHeader.MAX_PAGES, template).named("ts_pages")));
        }

        @Override
        SchedPrograms.Lookup lookup() {
            return new SchedPrograms.MapPagesLookup(tidBits, tidSlot, pages);
        }

        @Override
        BpfMap forgetOnExit() {
            return tidSlot;
        }

        @Override
        boolean needsProcTask() {
            return true;
        }

        @Override
        Page newPage(int index, Region region) {
            BpfMap page = BpfMap.create(pageSpec("ts_page_" + index));
            try {
                pages.setInner(index, page);
            } catch (RuntimeException e) {
                page.close();
                throw e;
            }
            pageMaps.add(page);
            return new Page(page.mmap(), RegionHeader.PAGE_IN_BPF_MAP | page.id());
        }

        @Override
        void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot) {
            seedFromProc(task, slot, record, slotIndex, schedstat, switches, buf);
            key.set(JAVA_INT, 0, tid);
            long rc = tidSlot.updateInPlace(attr, key, record, BpfMap.ANY);
            if (rc < 0) {
                throw tidSlot.error("BPF_MAP_UPDATE_ELEM", rc);
            }
            setBit(tid, true); // last: the programs look at tid_slot only for a set bit
            if (tid == Libc.gettid()) {
                // A switch between the seed and the insert was invisible to the programs (it would
                // leave on_cpu_since stale until the next one): seed again until none happened.
                for (int i = 0; i < 5; i++) {
                    long seeded = schedstat[2];
                    if (!task.readSchedstat(buf, schedstat)) {
                        throw new IllegalStateException("thread " + tid + " exited during registration");
                    }
                    if (schedstat[2] == seeded) {
                        break;
                    }
                    seedFromProc(task, slot, record, slotIndex, schedstat, switches, buf);
                    tidSlot.updateInPlace(attr, key, record, BpfMap.ANY);
                }
            }
        }

        @Override
        void unregister(int tid, ProcTask task, MemorySegment slot) {
            setBit(tid, false);
            key.set(JAVA_INT, 0, tid);
            tidSlot.deleteInPlace(attr, key); // absent when its exit already removed it
        }

        /** Sets or clears {@code tid}'s bit in tid_bits, atomically (other tids share the word), no syscall. */
        private void setBit(int tid, boolean on) {
            long offset = (long) (tid >>> 6) * 8;
            long mask = 1L << (tid & 63);
            if (on) {
                BITS.getAndBitwiseOr(bits, offset, mask);
            } else {
                BITS.getAndBitwiseAnd(bits, offset, ~mask);
            }
        }

        @Override
        public void close() {
            for (BpfMap m : pageMaps) {
                m.close();
            }
            pageMaps.clear();
        }

        private static MapSpec pageSpec(String name) {
            return MapSpec.array(SlotLayout.SLOT_SIZE, SlotLayout.SLOTS_PER_PAGE).mmapable().named(name);
        }

        private static int pidMax() {
            return (int) dev.taskshared.sys.Sysctl.tryReadLong("kernel.pid_max").orElse(4 * 1024 * 1024); // PID_MAX_LIMIT on 64-bit
        }
    }
}
