package dev.taskshared.host;

import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.BpfStats;
import dev.taskshared.bpf.ProgramInfo;
import dev.taskshared.publisher.HostPrograms;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code taskshared publisher status}: whether a host publisher is installed at a directory, its
 * version and features, the programs its links keep attached (root only: the link pins are
 * root's), how many tasks are registered in its map (root or a member of the group), and what
 * its programs cost per run from the kernel's BPF run-time statistics (root: enabled for the
 * measuring window only).
 *
 * @param installed whether an info record is pinned there
 * @param reason why not, or why some facts are missing
 * @param info the record, when readable
 * @param programs the programs behind the link pins and the seed pin, when this user may open them
 * @param programsReason why the programs are not listed, or null
 * @param registeredTasks tasks of this PID namespace with an entry in the map, or -1
 * @param registeredReason why they were not counted, or null
 * @param switchNanosPerRun mean nanoseconds per run of the switch program over the window, NaN when not measured
 * @param switchRuns runs of the switch program in the window
 * @param statsReason why the cost was not measured, or null
 */
public record HostStatus(Path dir, boolean installed, String reason, HostInfo.Content info, List<Program> programs, String programsReason,
                         long registeredTasks, String registeredReason, double switchNanosPerRun, long switchRuns, String statsReason) {

    /** One program of the install: the pin through which it was found, and what the kernel reports. */
    public record Program(String pin, String name, int id, boolean attached, long runCount, long runTimeNanos) {
    }

    /**
     * Looks at the install at {@code dir}. Costs a pidfd and a map lookup per task of the host
     * (counting registrations) and, as root, {@code statsWindow} of waiting with BPF statistics on.
     */
    public static HostStatus probe(Path dir, Duration statsWindow) throws InterruptedException {
        Optional<HostInfo.Content> info;
        try {
            info = HostInstaller.readInfo(dir);
        } catch (ErrnoException e) {
            return notReadable(dir, e.errnoName() + " on " + dir.resolve(HostPins.INFO) + ": " + HostPins.explainDenied(dir.resolve(HostPins.INFO)));
        } catch (RuntimeException e) {
            return notReadable(dir, e.getMessage());
        }
        if (info.isEmpty()) {
            return notReadable(dir, Files.isDirectory(dir) ? dir + " holds no host info record" : "nothing installed at " + dir);
        }
        List<Program> programs = new ArrayList<>();
        String programsReason = null;
        List<BpfProgram> open = new ArrayList<>();
        try {
            for (String pin : List.of(HostPins.SWITCH_LINK, HostPins.EXIT_LINK)) {
                try (BpfLink link = BpfLink.openPinned(dir.resolve(pin))) {
                    int id = link.programId();
                    BpfProgram.byId(id).ifPresent(open::add);
                }
            }
            for (String pin : List.of(HostPins.SEED, HostPins.SEED_TASK)) { // an older install has no seed_task
                try {
                    open.add(BpfProgram.openPinned(dir.resolve(pin)));
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.ENOENT) {
                        throw e;
                    }
                }
            }
            for (BpfProgram p : open) {
                ProgramInfo pi = p.info();
                boolean attached = !pi.name().equals(HostPrograms.SEED) && !pi.name().equals(HostPrograms.SEED_TASK);
                programs.add(new Program(pinOf(pi.name()), pi.name(), pi.id(), attached, pi.runCount(), pi.runTimeNs()));
            }
        } catch (ErrnoException e) {
            programsReason = e.errno() == Errno.EACCES || e.errno() == Errno.EPERM
                    ? "the link pins are root's (" + HostPins.explainDenied(dir.resolve(HostPins.SWITCH_LINK)) + "): run as root to list the programs"
                    : e.getMessage();
        }
        long registered = -1;
        String registeredReason = null;
        try {
            registered = countRegistered(dir.resolve(HostPins.TASKS));
        } catch (ErrnoException e) {
            registeredReason = e.errnoName() + " on " + dir.resolve(HostPins.TASKS) + ": " + HostPins.explainDenied(dir.resolve(HostPins.TASKS));
        } catch (IOException e) {
            registeredReason = e.toString();
        }
        double perRun = Double.NaN;
        long runs = 0;
        String statsReason = null;
        BpfProgram switchProgram = open.stream().filter(p -> HostPrograms.SWITCH.equals(p.name())).findFirst().orElse(null);
        if (switchProgram == null) {
            statsReason = programsReason != null ? "needs root (the programs are not visible)" : "no switch program found";
        } else {
            try (BpfStats stats = BpfStats.enable()) {
                ProgramInfo before = switchProgram.info();
                Thread.sleep(statsWindow.toMillis());
                ProgramInfo after = switchProgram.info();
                runs = after.runCount() - before.runCount();
                perRun = runs == 0 ? Double.NaN : (double) (after.runTimeNs() - before.runTimeNs()) / runs;
            } catch (ErrnoException e) {
                statsReason = "enabling BPF statistics: " + e.getMessage();
            }
        }
        open.forEach(BpfProgram::close);
        return new HostStatus(dir, true, null, info.get(), programs, programsReason, registered, registeredReason, perRun, runs, statsReason);
    }

    private static HostStatus notReadable(Path dir, String reason) {
        return new HostStatus(dir, false, reason, null, List.of(), reason, -1, reason, Double.NaN, 0, reason);
    }

    private static String pinOf(String programName) {
        return switch (programName) {
            case HostPrograms.SWITCH -> HostPins.SWITCH_LINK;
            case HostPrograms.EXIT -> HostPins.EXIT_LINK;
            case HostPrograms.SEED -> HostPins.SEED;
            case HostPrograms.SEED_TASK -> HostPins.SEED_TASK;
            default -> "?";
        };
    }

    /**
     * Tasks of this PID namespace that have an entry in the task-storage map pinned at
     * {@code tasksPin}: a pidfd and a lookup per task (the map cannot be iterated from user
     * space: its keys are descriptors).
     */
    static long countRegistered(Path tasksPin) throws IOException {
        long n = 0;
        try (BpfMap tasks = BpfMap.openPinned(tasksPin, false); Arena arena = Arena.ofConfined();
             DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(tasks.valueSize(), 8);
            for (Path proc : procs) {
                try (DirectoryStream<Path> threads = Files.newDirectoryStream(proc.resolve("task"))) {
                    for (Path t : threads) {
                        int pidfd = Libc.pidfdOpenThread(Integer.parseInt(t.getFileName().toString()));
                        if (pidfd < 0) {
                            continue; // exited meanwhile
                        }
                        try {
                            key.set(ValueLayout.JAVA_INT, 0, pidfd);
                            if (tasks.lookup(key, value)) {
                                n++;
                            }
                        } finally {
                            Libc.closeQuietly(pidfd);
                        }
                    }
                } catch (IOException exitedMeanwhile) {
                    // the process went away between the listings
                }
            }
        }
        return n;
    }
}
