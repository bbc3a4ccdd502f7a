package dev.taskshared.host;

import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.MapType;
import dev.taskshared.bpf.Owned;
import dev.taskshared.exit.ThreadExit;
import dev.taskshared.publisher.ProcTask;
import dev.taskshared.publisher.Publisher;
import dev.taskshared.publisher.TaskStorageRegistrar;
import dev.taskshared.region.PublisherKind;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionFormatException;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotFeature;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.region.SlotValues;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * This JVM's side of the host publisher: the programs were loaded once for the host by
 * {@code taskshared publisher install} ({@link HostInstaller}); this process opens the pinned
 * task-storage map and seed program (which needs membership of the map's group, no privilege)
 * and registers its threads in them, with slots in its own region. Nothing is loaded or attached
 * per JVM, so a context switch costs the same whether one JVM or twenty use the host publisher.
 *
 * <p>What differs from a JVM's own programs:
 *
 * <ul>
 *   <li><b>Exits</b>: the host's exit program marks the slot exited with its final numbers but
 *   sends no ring-buffer record (one consumer only). A poller thread of this publisher looks at
 *   registered slots every {@value #EXIT_POLL_MILLIS} ms and hands exited ones to the exit
 *   listeners: same numbers, the CPU it last ran on, {@code exitTimeNanos} the time the poller
 *   noticed (up to {@value #EXIT_POLL_MILLIS} ms late), and an empty {@code comm}.
 *   <li><b>Registrations can be taken away</b>: any holder of the map (every member of the group)
 *   can delete or replace the entry of any thread it can name with a pidfd. The kernel then no
 *   longer writes that thread's slot. The registry's reaper asks {@link #aliveAtReap} every pass:
 *   a slot whose switch count did not move while the thread ran (its CPU clock moved) is checked
 *   against the kernel's count in /proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat; two switch-ins
 *   more in the kernel than in the slot mean nobody writes it (a missed switch-in makes one at
 *   most), and the registration is released with {@link #lostReason} instead of serving frozen
 *   numbers: within one reap pass after the thread's second switch-in since the loss.
 *   <li><b>A monitor never takes a registration away</b>: threads of another process are
 *   registered with BPF_NOEXIST ({@link dev.taskshared.publisher.RegistrationConflictException}
 *   when someone registered them); a process's own threads with BPF_ANY (the owner wins).
 * </ul>
 *
 * <p>Thread-safe: the registry calls under its lock; this object's lock guards the per-slot state
 * the exit poller reads.
 */
public final class HostPublisher implements Publisher {
    static final long EXIT_POLL_MILLIS = 100;
    /** Kernel switch-ins beyond the slot's count that prove nobody writes the slot (a missed switch-in accounts for one). */
    static final long LOST_SWITCH_INS = 2;
    private static final int MAX_SLOTS = RegionHeader.MAX_PAGES * SlotLayout.SLOTS_PER_PAGE;

    private final Path dir;
    private final HostInfo.Content info;
    private final long features;
    private final Owned descriptors; // the map and the seed programs
    private final TaskStorageRegistrar registrar;
    private final int ownPid = Libc.getpid();
    private final MemorySegment[] slots = new MemorySegment[MAX_SLOTS];
    private final int[] pids = new int[MAX_SLOTS];
    private final int[] tids = new int[MAX_SLOTS];
    private final long[] lastPcount = new long[MAX_SLOTS];
    private final long[] lastCpuTime = new long[MAX_SLOTS];
    private final String[] lost = new String[MAX_SLOTS];
    private final BitSet registered = new BitSet();
    private final BitSet exitReported = new BitSet();
    private final SlotValues pollValues = new SlotValues();
    private final Thread exitPoller;
    private volatile Consumer<ThreadExit> exitSink = e -> { };
    private volatile boolean running = true;
    private long lostCount;

    private HostPublisher(Path dir, HostInfo.Content info, long features, Owned descriptors, BpfMap tasks, BpfProgram seed,
                          BpfProgram seedTask) {
        this.dir = dir;
        this.info = info;
        this.features = features;
        this.descriptors = descriptors;
        this.registrar = new TaskStorageRegistrar(tasks, seed, seedTask);
        this.exitPoller = Thread.ofPlatform().daemon().name("taskshared-host-exits").unstarted(this::pollExits);
        exitPoller.start();
    }

    /**
     * Opens the host publisher installed at {@code dir}.
     *
     * @throws HostUnavailableException saying why it cannot be used: nothing installed, this
     *     process not in the group (with the pin's owner and mode and this process's groups), a
     *     version this library cannot read, programs not attached
     */
    public static HostPublisher open(Path dir) {
        HostInfo.Content info;
        Path infoPin = dir.resolve(HostPins.INFO);
        try (BpfMap infoMap = openPin(dir, HostPins.INFO, true); Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(infoMap.valueSize(), 8);
            if (!infoMap.lookup(arena.allocateFrom(ValueLayout.JAVA_INT, 0), value)) {
                throw new HostUnavailableException(infoPin + " holds no record");
            }
            info = HostInfo.read(value, infoPin.toString());
        } catch (RegionFormatException e) {
            throw new HostUnavailableException(e.getMessage());
        }
        long usable;
        try {
            usable = HostInfo.negotiate(info);
        } catch (IncompatibleHostException e) {
            throw new HostUnavailableException("the host publisher at " + dir + " (" + info.describe() + ") cannot be used by this library: "
                    + e.getMessage());
        }
        for (String link : List.of(HostPins.SWITCH_LINK, HostPins.EXIT_LINK)) {
            if (!Files.exists(dir.resolve(link), LinkOption.NOFOLLOW_LINKS)) {
                throw new HostUnavailableException("the host publisher at " + dir + " has no " + link + ": its programs are not attached "
                        + "(an uninstall in progress?)");
            }
        }
        Owned descriptors = new Owned();
        try {
            BpfMap tasks = descriptors.add(openPin(dir, HostPins.TASKS, false));
            if (tasks.type() != MapType.TASK_STORAGE) {
                throw new HostUnavailableException(dir.resolve(HostPins.TASKS) + " is a " + tasks.type() + " map, not task storage");
            }
            BpfProgram seed = info.hasSeed() ? descriptors.add(openProgram(dir, HostPins.SEED)) : null;
            BpfProgram seedTask = info.hasSeedTask() ? descriptors.add(openProgram(dir, HostPins.SEED_TASK)) : null;
            return new HostPublisher(dir, info, usable, descriptors, tasks, seed, seedTask);
        } catch (RuntimeException | Error e) {
            descriptors.close();
            if (e instanceof IllegalArgumentException iae) { // the registrar refused the map's value size
                throw new HostUnavailableException(iae.getMessage());
            }
            throw e;
        }
    }

    private static BpfMap openPin(Path dir, String name, boolean readOnly) {
        Path pin = dir.resolve(name);
        try {
            return BpfMap.openPinned(pin, readOnly);
        } catch (ErrnoException e) {
            throw unavailable(dir, pin, e);
        }
    }

    private static BpfProgram openProgram(Path dir, String name) {
        Path pin = dir.resolve(name);
        try {
            return BpfProgram.openPinned(pin);
        } catch (ErrnoException e) {
            throw unavailable(dir, pin, e);
        }
    }

    private static HostUnavailableException unavailable(Path dir, Path pin, ErrnoException e) {
        if (e.errno() == Errno.ENOENT) {
            return new HostUnavailableException(Files.isDirectory(dir)
                    ? dir + " exists but " + pin.getFileName() + " is not pinned in it (an install in progress, or a broken one: "
                            + "`taskshared publisher install --replace` as root)"
                    : "no host publisher at " + dir + " (install one as root: taskshared publisher install)");
        }
        if (e.errno() == Errno.EACCES || e.errno() == Errno.EPERM) {
            return new HostUnavailableException(e.errnoName() + " on " + pin + ": " + HostPins.explainDenied(pin), e);
        }
        return new HostUnavailableException("opening " + pin + ": " + e.getMessage(), e);
    }

    /** The pin directory. */
    public Path dir() {
        return dir;
    }

    /** The installed publisher's record. */
    public HostInfo.Content info() {
        return info;
    }

    @Override
    public PublisherKind kind() {
        return PublisherKind.BPF;
    }

    @Override
    public long features() {
        return features;
    }

    @Override
    public long sampleIntervalNanos() {
        return 0;
    }

    @Override
    public String dataPathName() {
        return "task_storage";
    }

    @Override
    public boolean needsProcTask() {
        return false;
    }

    @Override
    public Page newPage(int index, Region region) {
        return new Page(region.filePage(index), RegionHeader.PAGE_IN_FILE | Region.filePageOffset(index));
    }

    @Override
    public synchronized void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        registrar.register(pid, tid, slotIndex, slot, pid == ownPid);
        slots[slotIndex] = slot;
        pids[slotIndex] = pid;
        tids[slotIndex] = tid;
        lastPcount[slotIndex] = SlotReader.getLong(slot, SlotLayout.PCOUNT);
        lastCpuTime[slotIndex] = -1;
        lost[slotIndex] = null;
        registered.set(slotIndex);
        exitReported.clear(slotIndex);
    }

    @Override
    public synchronized void unregister(int tid, ProcTask task, int slotIndex, MemorySegment slot) {
        registered.clear(slotIndex);
        slots[slotIndex] = null;
        registrar.unregister(tid, slot, lost[slotIndex] != null); // a taken entry is someone else's now
    }

    @Override
    public synchronized boolean alive(ProcTask task, int slotIndex, MemorySegment slot, MemorySegment buf) {
        return SlotReader.getInt(slot, SlotLayout.STATE) != SlotLayout.STATE_EXITED && lost[slotIndex] == null;
    }

    /**
     * Exited, or lost: see the class comment. Costs a load per registration; for one whose slot
     * did not change since the last pass, a clock_gettime of its CPU clock (its own process) or a
     * read of its schedstat (another process's thread), and a schedstat read when it ran unseen.
     */
    @Override
    public synchronized boolean aliveAtReap(ProcTask task, MemorySegment slot, int slotIndex, long pass, MemorySegment buf) {
        if (SlotReader.getInt(slot, SlotLayout.STATE) == SlotLayout.STATE_EXITED) {
            return false;
        }
        if (lost[slotIndex] != null) {
            return false;
        }
        long s = SlotReader.getLong(slot, SlotLayout.PCOUNT);
        int pid = pids[slotIndex];
        int tid = tids[slotIndex];
        long cpu = -1;
        if (pid == ownPid) {
            try {
                cpu = Libc.threadCpuTimeNanos(tid);
            } catch (RuntimeException gone) {
                return true; // exited: its exit mark says so, or the backstop of a thorough pass
            }
        }
        long cpuBefore = lastCpuTime[slotIndex];
        lastCpuTime[slotIndex] = cpu;
        if (s != lastPcount[slotIndex]) {
            lastPcount[slotIndex] = s; // the kernel wrote it since the last pass: it is being published
            return true;
        }
        if (pid == ownPid && cpu == cpuBefore) {
            return true; // did not run since the last pass: nothing to check
        }
        long kernelPcount = kernelPcount(pid, tid);
        long seen = SlotReader.getLong(slot, SlotLayout.PCOUNT); // after the kernel's: a switch between only raises the kernel's
        if (kernelPcount >= seen + LOST_SWITCH_INS) {
            lost[slotIndex] = "thread " + tid + "'s slot stopped being published while it ran: the kernel counts " + kernelPcount
                    + " switch-ins, the slot " + seen + ". Another holder of the host publisher's map (" + dir.resolve(HostPins.TASKS)
                    + ") deleted or replaced its entry, or the host publisher was uninstalled";
            lostCount++;
            return false;
        }
        return true;
    }

    /** The kernel's pcount of the thread (schedstat's third field), or -1 when it is gone. */
    private static long kernelPcount(int pid, int tid) {
        try {
            String[] f = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/schedstat")).strip().split(" ");
            return Long.parseLong(f[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public synchronized String lostReason(int slotIndex) {
        return lost[slotIndex];
    }

    /** Registrations found taken away since start. */
    public synchronized long lostRegistrations() {
        return lostCount;
    }

    @Override
    public void setExitSink(Consumer<ThreadExit> sink) {
        this.exitSink = sink;
    }

    private void pollExits() {
        List<ThreadExit> exited = new ArrayList<>();
        while (running) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(EXIT_POLL_MILLIS));
            synchronized (this) {
                for (int i = registered.nextSetBit(0); i >= 0; i = registered.nextSetBit(i + 1)) {
                    MemorySegment slot = slots[i];
                    if (exitReported.get(i) || SlotReader.getInt(slot, SlotLayout.STATE) != SlotLayout.STATE_EXITED) {
                        continue;
                    }
                    exitReported.set(i);
                    try {
                        SlotValues v = pollValues.read(slot);
                        exited.add(new ThreadExit(tids[i], pids[i], v.cpu(), i, System.nanoTime(), v.sumExecRuntimeNanos(),
                                v.runDelayNanos(), v.pcount(), v.offCpuNanos(), v.nvcsw(), v.nivcsw(), v.migrations(), ""));
                    } catch (RuntimeException unreadable) {
                        System.getLogger("dev.taskshared").log(System.Logger.Level.WARNING, "reading an exited thread's slot", unreadable);
                    }
                }
            }
            for (ThreadExit e : exited) {
                exitSink.accept(e);
            }
            exited.clear();
        }
    }

    @Override
    public String description() {
        long missing = SlotFeature.allKnown() & ~features;
        return "host publisher at " + dir + ": BPF programs loaded once for the host (`taskshared publisher install`, version "
                + info.describe() + ") write the slots of the threads this JVM registers in the shared task-storage map"
                + (missing == 0 ? "" : "; not provided: " + String.join(", ", HostInfo.featureNames(missing)));
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        LockSupport.unpark(exitPoller);
        try {
            exitPoller.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        descriptors.close();
    }
}
