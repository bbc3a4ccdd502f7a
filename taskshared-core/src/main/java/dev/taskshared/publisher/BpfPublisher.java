package dev.taskshared.publisher;

import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.bpf.AttachType;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.MapSpec;
import dev.taskshared.bpf.ProgramInfo;
import dev.taskshared.bpf.ProgramSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.RingBuffer;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotWriter;
import dev.taskshared.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The kernel writes each registered thread's slot at every context switch: eBPF programs on the
 * sched_switch, sched_wakeup, sched_wakeup_new and sched_process_exit raw tracepoints
 * ({@link SchedPrograms}), built and loaded from Java. Slots live in one-page mmapable array maps
 * (32 slots each) held in an array-of-maps, mapped into the JVM; {@code tid_slot} says which
 * threads are registered. A registered thread's exit comes back through a ring buffer with its
 * final numbers and exit CPU, and frees its slot.
 *
 * <p>Everything is a file descriptor: closing the publisher, or the JVM dying, detaches the
 * programs and frees the maps.
 */
public final class BpfPublisher implements Publisher {
    /** Everything: the kernel writes at every switch. */
    public static final long FEATURES = Feature.allKnown();
    static final int MAX_THREADS = RegionHeader.MAX_PAGES * SlotLayout.SLOTS_PER_PAGE;
    private static final int RING_BYTES = 256 * 1024;

    private final List<AutoCloseable> owned = new ArrayList<>(); // closed in reverse order
    private static final java.lang.invoke.VarHandle BITS = ValueLayout.JAVA_LONG.varHandle();
    private final BpfMap tidBits;
    private final MemorySegment bits;
    private final BpfMap tidSlot;
    private final BpfMap pages;
    private final BpfMap exits;
    private final BpfMap drops;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final List<BpfLink> links = new ArrayList<>();
    private final boolean btfTyped;
    private String typedFailure;
    private final List<BpfMap> pageMaps = new ArrayList<>();
    private final RingBuffer ring;
    private final Thread exitReader;
    private volatile Consumer<BpfExitEvent> exitSink = e -> { };
    // Registration scratch, used under this object's lock: no allocation per registration.
    private final MemorySegment scratch = Arena.ofAuto().allocate(ProcTask.BUFFER_SIZE);
    private final MemorySegment key = Arena.ofAuto().allocate(4, 4);
    private final MemorySegment value = Arena.ofAuto().allocate(4, 4);
    private final long[] schedstat = new long[3];
    private volatile boolean running = true;

    private BpfPublisher(boolean preferBtfTyped) {
        try {
            tidBits = own(BpfMap.create(MapSpec.array(8, (pidMax() + 63) / 64).mmapable().named("ts_tid_bits")));
            bits = tidBits.mmap();
            tidSlot = own(BpfMap.create(MapSpec.hash(4, 4, MAX_THREADS).named("ts_tid_slot")));
            BpfMap template = own(BpfMap.create(pageSpec("ts_page_tmpl")));
            pages = own(BpfMap.create(MapSpec.arrayOfMaps(RegionHeader.MAX_PAGES, template).named("ts_pages")));
            exits = own(BpfMap.create(MapSpec.ringbuf(RING_BYTES).named("ts_exits")));
            drops = own(BpfMap.create(MapSpec.array(8, 1).named("ts_exit_drops")));
            ring = own(RingBuffer.open(exits));
            boolean typed = false;
            if (preferBtfTyped) {
                try {
                    attachAll(true);
                    typed = true;
                } catch (RuntimeException e) {
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
            closeOwned();
            throw e;
        }
        exitReader = Thread.ofPlatform().daemon().name("taskshared-bpf-exits").unstarted(this::readExits);
        exitReader.start();
    }

    /** Loads the programs for every tracepoint and attaches them: BTF-typed (tp_btf) or raw. */
    private void attachAll(boolean typed) {
        Btf btf = Btf.vmlinux();
        SchedPrograms.TaskOffsets off = SchedPrograms.TaskOffsets.fromBtf(btf, typed);
        SchedPrograms.Maps m = new SchedPrograms.Maps(tidBits, tidSlot, pages, exits, drops);
        attach("ts_switch", "sched_switch", SchedPrograms.schedSwitch(m, off), typed, btf);
        attach("ts_wakeup", "sched_wakeup", SchedPrograms.schedWakeup(m, off), typed, btf);
        attach("ts_wakeup_new", "sched_wakeup_new", SchedPrograms.schedWakeup(m, off), typed, btf);
        attach("ts_exit", "sched_process_exit", SchedPrograms.schedProcessExit(m), typed, btf);
    }

    private void attach(String name, String tracepoint, Instructions insns, boolean typed, Btf btf) {
        ProgramSpec spec = typed
                ? ProgramSpec.of(ProgramType.TRACING, insns).withAttach(AttachType.TRACE_RAW_TP, btf.rawTracepointTypeId(tracepoint))
                : ProgramSpec.of(ProgramType.RAW_TRACEPOINT, insns);
        BpfProgram p = BpfProgram.load(spec.named(name));
        programs.put(name, p);
        links.add(typed ? BpfLink.tracing(p) : p.attachRawTracepoint(tracepoint));
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

    private static int pidMax() {
        try {
            // readAllLines: one buffered read; an integer sysctl answers a read at a non-zero offset with EOF
            return Integer.parseInt(java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/kernel/pid_max")).get(0).strip());
        } catch (java.io.IOException | RuntimeException e) {
            return 4 * 1024 * 1024; // PID_MAX_LIMIT on 64-bit
        }
    }

    private void closeProgramsAndLinks() {
        links.forEach(BpfLink::close);
        links.clear();
        programs.values().forEach(BpfProgram::close);
        programs.clear();
    }

    /**
     * Loads and attaches the programs, BTF-typed where the kernel allows (direct loads from task
     * pointers), else on raw tracepoints.
     *
     * @throws RuntimeException with the kernel's reason (an {@link dev.taskshared.sys.ErrnoException}
     *     with hints, or a {@link dev.taskshared.bpf.VerifierException} carrying the verifier log)
     */
    public static BpfPublisher start() {
        return new BpfPublisher(true);
    }

    /** Like {@link #start()}, on raw tracepoints only (the fallback path), for tests. */
    static BpfPublisher startRaw() {
        return new BpfPublisher(false);
    }

    /** Whether the programs are BTF-typed (tp_btf) rather than raw tracepoints. */
    public boolean btfTyped() {
        return btfTyped;
    }

    private static MapSpec pageSpec(String name) {
        return MapSpec.array(SlotLayout.SLOT_SIZE, SlotLayout.SLOTS_PER_PAGE).mmapable().named(name);
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    @Override
    public Mode mode() {
        return Mode.BPF;
    }

    @Override
    public long features() {
        return FEATURES;
    }

    @Override
    public long sampleIntervalNanos() {
        return 0;
    }

    @Override
    public String description() {
        return "BPF programs on sched_switch, sched_wakeup(_new) and sched_process_exit write every registered "
                + "thread's slot at each context switch ("
                + (btfTyped ? "BTF-typed tracepoints" : "raw tracepoints" + (typedFailure == null ? "" : "; tp_btf failed: " + typedFailure))
                + ")";
    }

    /** Receives registered threads' exits (from the ring-buffer reader thread). */
    @Override
    public void setExitSink(Consumer<BpfExitEvent> sink) {
        this.exitSink = sink;
    }

    @Override
    public synchronized Page newPage(int index, Region region) {
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
    public synchronized void register(ProcTask task, int slotIndex, MemorySegment slot) {
        long pcount = seed(task, slot);
        key.set(ValueLayout.JAVA_INT, 0, task.tid());
        value.set(ValueLayout.JAVA_INT, 0, slotIndex);
        tidSlot.update(key, value, BpfMap.ANY);
        setBit(task.tid(), true); // last: the programs look at tid_slot only for a set bit
        if (task.tid() == Libc.gettid()) {
            // A switch between the seed and the insert was invisible to the programs (it would
            // leave on_cpu_since stale until the next one): seed again until none happened.
            for (int i = 0; i < 5; i++) {
                long now = readSchedstat(task)[2];
                if (now == pcount) {
                    break;
                }
                pcount = seed(task, slot);
            }
        }
    }

    /** Reads schedstat into {@link #schedstat}; the registry serialises registrations, so one buffer serves. */
    private long[] readSchedstat(ProcTask task) {
        if (!task.readSchedstat(scratch, schedstat)) {
            throw new IllegalStateException("thread " + task.tid() + " exited during registration");
        }
        return schedstat;
    }

    /**
     * Seeds the totals from the kernel's values, so that they mean what schedstat means, and the
     * off-CPU origin (off_cpu = wall - CPU time since registration). Written before the tid
     * enters tid_slot, so the programs never see a half-seeded slot.
     *
     * <p>Returns the kernel's pcount as read. The thread registering itself is running: its CPU time is read exactly with
     * CLOCK_THREAD_CPUTIME_ID, and it is on CPU since now. Another thread is taken as off CPU;
     * its schedstat sum may lag by up to a tick if it is running, which offsets its off-CPU
     * total by as much (its next switch-out replaces the sum with the kernel's exact value).
     */
    private long seed(ProcTask task, MemorySegment slot) {
        long[] schedstat = readSchedstat(task);
        boolean self = task.tid() == Libc.gettid();
        long sum = schedstat[0];
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
        SlotWriter.putLong(slot, SlotLayout.RUN_DELAY_NS, schedstat[1]);
        SlotWriter.putLong(slot, SlotLayout.PCOUNT, schedstat[2]);
        SlotWriter.putLong(slot, SlotLayout.ON_CPU_SINCE_NS, self ? now : 0);
        SlotWriter.putLong(slot, SlotLayout.OFF_CPU_ORIGIN_NS, now - sum);
        SlotWriter.putLong(slot, SlotLayout.OFF_CPU_NS, 0);
        SlotWriter.putInt(slot, SlotLayout.CPU, self ? Libc.schedGetcpu() : -1);
        SlotWriter.end(slot, seq);
        return schedstat[2];
    }

    @Override
    public void unregister(ProcTask task, int slotIndex, MemorySegment slot) {
        synchronized (this) {
            setBit(task.tid(), false);
            key.set(ValueLayout.JAVA_INT, 0, task.tid());
            tidSlot.delete(key); // absent when its exit already removed it
        }
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
                ring.poll(r -> exitSink.accept(BpfExitEvent.decode(r)), Duration.ofMillis(100));
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
        closeOwned();
        synchronized (this) {
            for (BpfMap m : pageMaps) {
                m.close();
            }
            pageMaps.clear();
        }
    }

    private void closeOwned() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception ignored) {
                // keep releasing the rest
            }
        }
        owned.clear();
    }
}
