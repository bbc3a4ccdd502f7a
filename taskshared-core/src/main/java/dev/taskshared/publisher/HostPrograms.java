package dev.taskshared.publisher;

import dev.taskshared.bpf.AttachType;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.Owned;
import dev.taskshared.bpf.ProgramSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.asm.MapRef;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The task-storage programs loaded once for a whole host, to be pinned by the host publisher's
 * install: the task-storage map, {@value #SWITCH} on sched_switch and {@value #EXIT} on
 * sched_process_exit (BTF-typed, attached through links), the seed program {@value #SEED} and,
 * where the kernel can run it, the task seed program {@value #SEED_TASK}.
 * The same program bodies as a JVM's own {@link BpfPublisher} ({@link SchedPrograms}), with two
 * differences that sharing needs:
 *
 * <ul>
 *   <li>the exit program only marks the slot exited and writes its final numbers (a ring buffer
 *   has one consumer: a shared one would let one JVM steal another's exit records);
 *   <li>the seed programs are of type SYSCALL (sleepable): any holder of their descriptors may run
 *   them with BPF_PROG_TEST_RUN (the seed on its own thread, the task seed for a thread it has
 *   just registered, by its id), but the kernel cannot attach a SYSCALL program to
 *   anything (EINVAL), so handing it to unprivileged processes lets them seed, not trace.
 * </ul>
 *
 * Loading needs CAP_BPF and CAP_PERFMON (root). Closing releases this process's descriptors; the
 * programs stay attached as long as their links are pinned.
 */
public final class HostPrograms implements AutoCloseable {
    /** Program names, as the kernel lists them (distinct from a JVM's own {@code ts_*} programs). */
    public static final String SWITCH = "tsh_switch";
    public static final String EXIT = "tsh_exit";
    public static final String SEED = "tsh_seed";
    public static final String SEED_TASK = "tsh_seed_task";

    private final Owned owned = new Owned();
    private final BpfMap tasks;
    private final BpfProgram switchProgram;
    private final BpfProgram exitProgram;
    private final BpfProgram seed;
    private final BpfProgram seedTask;
    private final BpfLink switchLink;
    private final BpfLink exitLink;

    private HostPrograms() {
        try {
            tasks = own(createTaskStorage());
            Btf btf = Btf.vmlinux();
            SchedPrograms.Kernel k = SchedPrograms.Kernel.fromBtf(btf, true);
            Bodies bodies = bodies(tasks, k, btf);
            switchProgram = own(BpfProgram.load(typed(bodies.switchProgram(), btf, "sched_switch").named(SWITCH)));
            exitProgram = own(BpfProgram.load(typed(bodies.exitProgram(), btf, "sched_process_exit").named(EXIT)));
            seed = own(BpfProgram.load(ProgramSpec.of(ProgramType.SYSCALL, bodies.seed()).withFlags(ProgramSpec.F_SLEEPABLE).named(SEED)));
            BpfProgram task = TaskStorageRegistrar.loadSeedTask(tasks, k, btf, SEED_TASK);
            seedTask = task == null ? null : own(task);
            switchLink = own(BpfLink.tracing(switchProgram));
            exitLink = own(BpfLink.tracing(exitProgram));
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** The shared map; on a kernel without {@code __uptr} in task storage, an error that says so. */
    private static BpfMap createTaskStorage() {
        try {
            return TaskStorageMap.create("tsh_tasks");
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EPERM) {
                throw e;
            }
            throw new UnsupportedOperationException("the host publisher needs task-local storage whose value holds a user pointer "
                    + "(__uptr, Linux 6.13+), and this kernel refused the map: " + e.getMessage()
                    + ". JVMs on this host use programs of their own when privileged (the map-pages data path), sampling otherwise", e);
        }
    }

    /**
     * Creates the map, loads the three programs and attaches two of them. The programs run from
     * here on, for as long as this object or pins of its links exist.
     *
     * @throws RuntimeException with the kernel's reason (an ErrnoException with hints, or a
     *     VerifierException carrying the verifier's log)
     */
    public static HostPrograms load() {
        return new HostPrograms();
    }

    /** The programs' bodies; {@code seedTask} null on a kernel without the kfuncs it calls. */
    private record Bodies(Instructions switchProgram, Instructions exitProgram, Instructions seed, Instructions seedTask) {
        List<Instructions> all() {
            return seedTask == null ? List.of(switchProgram, exitProgram, seed) : List.of(switchProgram, exitProgram, seed, seedTask);
        }
    }

    private static Bodies bodies(MapRef tasks, SchedPrograms.Kernel k, Btf btf) {
        SchedPrograms.Lookup lookup = new SchedPrograms.TaskStorageLookup(tasks);
        return new Bodies(SchedPrograms.schedSwitch(lookup, k), SchedPrograms.schedProcessExit(lookup, k, null, null, null),
                SchedPrograms.seed(lookup, k), SchedPrograms.Kfuncs.fromBtf(btf).map(f -> SchedPrograms.seedTask(lookup, k, f)).orElse(null));
    }

    private static ProgramSpec typed(Instructions insns, Btf btf, String tracepoint) {
        return ProgramSpec.of(ProgramType.TRACING, insns).withAttach(AttachType.TRACE_RAW_TP, btf.rawTracepointTypeId(tracepoint));
    }

    /**
     * A digest of the programs this library would install on this kernel (SHA-256 of their
     * instructions, map references zeroed, first 8 bytes in hex): two installs with the same
     * fingerprint run the same code. Reads the kernel's BTF; loads nothing.
     */
    public static String fingerprint() {
        MapRef placeholder = MapRef.of(0, "");
        Btf btf = Btf.vmlinux();
        Bodies b = bodies(placeholder, SchedPrograms.Kernel.fromBtf(btf, true), btf);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Instructions insns : b.all()) {
                byte[] code = insns.encode();
                sha.update(ByteBuffer.allocate(4).putInt(code.length).array());
                sha.update(code);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    public BpfMap tasks() {
        return tasks;
    }

    public BpfProgram switchProgram() {
        return switchProgram;
    }

    public BpfProgram exitProgram() {
        return exitProgram;
    }

    public BpfProgram seed() {
        return seed;
    }

    /** The task seed program, or null when this kernel cannot run it (other threads are then seeded from /proc). */
    public BpfProgram seedTask() {
        return seedTask;
    }

    public BpfLink switchLink() {
        return switchLink;
    }

    public BpfLink exitLink() {
        return exitLink;
    }

    private <T extends AutoCloseable> T own(T resource) {
        return owned.add(resource);
    }

    /** Closes this process's descriptors: unpinned links detach their programs now. Idempotent. */
    @Override
    public void close() {
        owned.close();
    }
}
