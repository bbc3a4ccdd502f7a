package dev.taskshared.publisher;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.ProgramSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotReader;
import dev.taskshared.region.SlotWriter;
import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Registration on the task-storage data path, over a task-storage map and seed program that
 * someone loaded: this JVM's own publisher ({@link BpfPublisher}), or the host publisher, whose
 * map and seed program a process of any user opens from their pins. Registering thread
 * {@code tid} is one {@code BPF_MAP_UPDATE_ELEM} keyed by {@code pidfd_open(tid, PIDFD_THREAD)},
 * whose value ({@link TaskRecord}) carries the slot's address: the kernel pins that page of the
 * caller's memory, and the scheduler programs write through it. A seed program then fills the
 * slot with the kernel's values: the seed program for a thread registering itself, the task seed
 * program for another thread (by its id, through the kfunc bpf_task_from_vpid); without the task
 * seed program a foreign thread is seeded from its /proc files, which lack exact utime and stime.
 *
 * <p>Not thread-safe: the caller serialises registrations (each publisher holds its lock). Costs
 * per registration: pidfd_open, one map update, one run of a seed program, close; no allocation.
 */
public final class TaskStorageRegistrar {
    private static final System.Logger LOG = System.getLogger(TaskStorageRegistrar.class.getName());
    private final BpfMap tasks;
    private final BpfProgram seed;
    private final BpfProgram seedTask;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment attr = arena.allocate(Bpf.ATTR_SIZE, 8);
    private final MemorySegment record = arena.allocate(TaskRecord.LAYOUT);
    private final MemorySegment key = arena.allocate(4, 4);
    private final MemorySegment buf = arena.allocate(ProcTask.BUFFER_SIZE);
    private final MemorySegment ctx = arena.allocate(8L * Math.max(SchedPrograms.SEED_ARGS, SchedPrograms.SEED_TASK_ARGS), 8);
    private final long[] schedstat = new long[3];
    private final long[] switches = new long[3]; // nvcsw, nivcsw, then the last CPU from a foreign thread's stat

    /**
     * @param tasks a task-storage map whose value is {@link TaskRecord} ({@link #recordSize()} bytes)
     * @param seed the seed program ({@link SchedPrograms#seed}) over {@code tasks}, of type
     *     RAW_TRACEPOINT or SYSCALL (both are run with BPF_PROG_TEST_RUN); null: a thread
     *     registering itself is seeded from getrusage, its CPU clock and its schedstat instead,
     *     which gives every number but utime and stime (0 until its first switch-out)
     * @param seedTask the task seed program ({@link SchedPrograms#seedTask}) over {@code tasks}, of
     *     type SYSCALL; null: another thread is seeded from /proc, utime and stime 0 until its first
     *     switch-out
     */
    public TaskStorageRegistrar(BpfMap tasks, BpfProgram seed, BpfProgram seedTask) {
        if (tasks.valueSize() != TaskRecord.SIZE) {
            throw new IllegalArgumentException("task-storage map " + tasks.name() + " holds " + tasks.valueSize()
                    + "-byte values; this library writes " + TaskRecord.SIZE + "-byte records");
        }
        this.tasks = tasks;
        this.seed = seed;
        this.seedTask = seedTask;
    }

    /**
     * Loads the task seed program over {@code tasks} (SYSCALL type, sleepable: run by any holder of
     * its descriptor, attachable nowhere), or returns null when this kernel cannot run it: no
     * {@code bpf_task_from_vpid} in its BTF (before 6.13), or a verifier that refuses the call
     * (logged with its reason). Without it, other threads are seeded from /proc.
     */
    static BpfProgram loadSeedTask(BpfMap tasks, SchedPrograms.Kernel k, Btf btf, String name) {
        var kfuncs = SchedPrograms.Kfuncs.fromBtf(btf);
        if (kfuncs.isEmpty()) {
            return null;
        }
        ProgramSpec spec = ProgramSpec.of(ProgramType.SYSCALL, SchedPrograms.seedTask(new SchedPrograms.TaskStorageLookup(tasks), k,
                kfuncs.get())).withFlags(ProgramSpec.F_SLEEPABLE).named(name);
        try {
            return BpfProgram.load(spec);
        } catch (ErrnoException e) { // a VerifierException carries the log
            LOG.log(Level.WARNING, "other threads are seeded from /proc (utime and stime 0 until their first switch-out): "
                    + "this kernel refused the task seed program: " + e.getMessage());
            return null;
        }
    }

    /** Bytes of the map value this library writes (the host info record states the publisher's). */
    public static int recordSize() {
        return TaskRecord.SIZE;
    }

    /**
     * Registers thread {@code tid} of process {@code pid} with {@code slot}, already claimed for it.
     *
     * @param replace true: take the thread's entry even if someone else registered it (BPF_ANY;
     *     the thread's own process does this); false: only if it has none (BPF_NOEXIST; a monitor
     *     does this, so that it never takes a registration away from the thread's process)
     * @throws RegistrationConflictException when {@code replace} is false and the thread has an entry
     * @throws ErrnoException ESRCH when there is no such thread
     */
    public void register(int pid, int tid, int slotIndex, MemorySegment slot, boolean replace) {
        int pidfd = Libc.pidfdOpenThread(tid);
        if (pidfd < 0) {
            throw new ErrnoException("pidfd_open(" + tid + ", PIDFD_THREAD)", -pidfd);
        }
        try {
            boolean self = tid == Libc.gettid();
            boolean kernelSeeds = self ? seed != null : seedTask != null;
            ProcTask task = kernelSeeds ? null : ProcTask.open(pid, tid);
            try {
                if (task == null) {
                    record.fill((byte) 0);
                    record.set(JAVA_INT, TaskRecord.SLOT_INDEX, slotIndex);
                } else {
                    BpfPublisher.seedFromProc(task, slot, record, slotIndex, schedstat, switches, buf);
                }
                record.set(JAVA_LONG, TaskRecord.SLOT, slot.address()); // the kernel pins this page
                key.set(JAVA_INT, 0, pidfd);
                long rc = tasks.updateInPlace(attr, key, record, replace ? BpfMap.ANY : BpfMap.NOEXIST);
                if (rc == -Errno.EEXIST && !replace) {
                    throw new RegistrationConflictException(tid);
                }
                if (rc < 0) {
                    throw tasks.error("BPF_MAP_UPDATE_ELEM", rc);
                }
                if (task == null && self) {
                    seedSelf(pid, tid, slotIndex, slot, pidfd);
                } else if (task == null) {
                    seedOther(tid, slotIndex, pidfd);
                }
            } finally {
                if (task != null) {
                    task.close();
                }
            }
        } finally {
            Libc.closeQuietly(pidfd);
        }
    }

    /**
     * Runs the seed program on this thread until no switch fell between the clock pair and the
     * run; after 20 runs that each saw a switch, seeds from user space ({@link #seedSelfUnderTracer}).
     */
    private void seedSelf(int pid, int tid, int slotIndex, MemorySegment slot, int pidfd) {
        for (int tries = 0; tries < 20; tries++) {
            long switchesBefore = Libc.threadSwitches();
            long before = System.nanoTime();
            long cpu = Libc.threadCpuTimeNanos();
            long mono = System.nanoTime();
            if (mono - before > 20_000) {
                continue; // preempted inside the pair
            }
            ctx.setAtIndex(JAVA_LONG, SchedPrograms.SEED_ARG_CPU_TIME, cpu);
            ctx.setAtIndex(JAVA_LONG, SchedPrograms.SEED_ARG_MONOTONIC, mono);
            ctx.setAtIndex(JAVA_LONG, SchedPrograms.SEED_ARG_SWITCHES, switchesBefore);
            long rc = seed.runInPlace(attr, ctx);
            if (rc == SchedPrograms.SEED_OK) {
                return;
            }
            if (rc < 0) {
                delete(pidfd);
                throw seed.runError(rc);
            }
            if (rc != SchedPrograms.SEED_SWITCHED) {
                delete(pidfd);
                throw new IllegalStateException("seeding thread " + tid + ": the seed program found no record (answer " + rc
                        + "): another holder of the map deleted it meanwhile");
            }
        }
        seedSelfUnderTracer(pid, tid, slotIndex, slot, pidfd);
    }

    /** Runs the task seed program for thread {@code tid}, another thread than the caller. */
    private void seedOther(int tid, int slotIndex, int pidfd) {
        ctx.setAtIndex(JAVA_LONG, SchedPrograms.SEED_TASK_ARG_TID, tid);
        ctx.setAtIndex(JAVA_LONG, SchedPrograms.SEED_TASK_ARG_SLOT_INDEX, slotIndex);
        long rc = seedTask.runInPlace(attr, ctx);
        if (rc == SchedPrograms.SEED_OK) {
            return;
        }
        delete(pidfd);
        if (rc < 0) {
            throw seedTask.runError(rc);
        }
        // No task by that id, or it has no unseeded record of this slot: the thread exited after
        // pidfd_open (its storage went with it), and the id may name another thread by now.
        throw new ErrnoException("seeding thread " + tid, Errno.ESRCH, "it exited during registration (answer " + rc + ")");
    }

    /**
     * Every seed run saw a switch since its clock pair: something switches this thread out at
     * every system call, as a tracer does (strace, gdb). The record is still unseeded, so the
     * programs leave the slot alone: fill it from getrusage, the CPU clock and schedstat, saying
     * "off CPU" (readers take the CPU clock until the first switch-in the programs see, rather
     * than trust a clock pair a switch may have split), then mark the record seeded.
     */
    private void seedSelfUnderTracer(int pid, int tid, int slotIndex, MemorySegment slot, int pidfd) {
        try (ProcTask task = ProcTask.open(pid, tid)) {
            BpfPublisher.seedFromProc(task, slot, record, slotIndex, schedstat, switches, buf);
        } catch (RuntimeException e) {
            delete(pidfd);
            throw e;
        }
        int seq = SlotWriter.begin(slot);
        SlotWriter.putLong(slot, SlotLayout.ON_CPU_SINCE_NS, 0);
        SlotWriter.end(slot, seq);
        record.set(JAVA_LONG, TaskRecord.SLOT, slot.address());
        key.set(JAVA_INT, 0, pidfd);
        long rc = tasks.updateInPlace(attr, key, record, BpfMap.EXIST);
        if (rc < 0) {
            delete(pidfd);
            throw tasks.error("BPF_MAP_UPDATE_ELEM (seeding thread " + tid + " from user space)", rc);
        }
    }

    private void delete(int pidfd) {
        key.set(JAVA_INT, 0, pidfd);
        tasks.deleteInPlace(attr, key);
    }

    /**
     * Removes thread {@code tid}'s entry, unless its slot says it exited (the kernel freed the
     * storage with the task, and the tid may name another thread now) or {@code keepEntry} (the
     * entry is someone else's: ours was taken away).
     */
    public void unregister(int tid, MemorySegment slot, boolean keepEntry) {
        if (keepEntry || SlotReader.getInt(slot, SlotLayout.STATE) == SlotLayout.STATE_EXITED) {
            return;
        }
        int pidfd = Libc.pidfdOpenThread(tid);
        if (pidfd < 0) {
            return; // gone: its storage went with it
        }
        try {
            key.set(JAVA_INT, 0, pidfd);
            long rc = tasks.deleteInPlace(attr, key);
            if (rc < 0 && rc != -Errno.ENOENT) {
                throw tasks.error("BPF_MAP_DELETE_ELEM", rc);
            }
        } finally {
            Libc.closeQuietly(pidfd);
        }
    }
}
