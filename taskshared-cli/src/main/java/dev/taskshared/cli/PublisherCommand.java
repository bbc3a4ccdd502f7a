package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.host.HostInfo;
import dev.taskshared.host.HostInstaller;
import dev.taskshared.host.HostPins;
import dev.taskshared.host.HostStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskshared publisher install | uninstall | status}: the host publisher, one set of programs per host. */
@Command(name = "publisher", mixinStandardHelpOptions = true,
        description = {"The host publisher: BPF programs loaded once per host (as root) whose task-storage map any JVM of a "
                + "member of its group uses without privilege.",
                "install loads and pins them, uninstall removes every pin, status reports what is installed."},
        subcommands = {PublisherCommand.Install.class, PublisherCommand.Uninstall.class, PublisherCommand.Status.class})
public final class PublisherCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw Main.usageError(spec, "missing a subcommand: install, uninstall or status");
    }

    /** {@code --dir}, shared by the subcommands. */
    static final class PinDir {
        @Spec(Spec.Target.MIXEE)
        CommandSpec mixee;

        @Option(names = "--dir", paramLabel = "PATH", defaultValue = HostPins.DEFAULT_DIR_NAME,
                description = "Pin directory, in a BPF file system (default ${DEFAULT-VALUE}).")
        Path dir;

        /** The directory, absolute and normalized, or a usage error. */
        Path get() {
            if (!dir.isAbsolute()) {
                throw Main.usageError(mixee, "--dir must be an absolute path, got " + dir);
            }
            return dir.normalize();
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = {"Load the programs once for this host, pin the task-storage map, the programs' links and the host info "
                    + "record under DIR, give the map to GROUP, and exit: the programs stay attached through their pinned links.",
                    "Mounts the BPF file system at /sys/fs/bpf when it is not mounted. Installing the same version again does "
                            + "nothing; another version needs --replace. Needs root."})
    static final class Install implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PinDir dir;

        @Option(names = "--group", paramLabel = "NAME|GID", defaultValue = HostPins.DEFAULT_GROUP,
                description = "Group given read-write access to the map (default ${DEFAULT-VALUE}, created if missing); "
                        + "a number is taken as a gid as it is (for containers).")
        String group;

        @Option(names = "--replace", description = "Replace an install of another version (or a broken one).")
        boolean replace;

        @Override
        public Integer call() throws Exception {
            Path d = dir.get();
            HostInstaller.Installed r;
            try {
                r = HostInstaller.install(HostInstaller.Options.defaults().dir(d).group(group).replace(replace));
            } catch (IllegalArgumentException e) {
                throw Main.usageError(spec, e.getMessage());
            } catch (RuntimeException e) {
                if (Main.isPermissionDenied(e)) {
                    throw Main.needsPrivilege("publisher install", "CAP_BPF, CAP_PERFMON and CAP_CHOWN", e);
                }
                throw e;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(r.message());
            out.flush();
            return 0;
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true,
            description = "Remove every pin of the host publisher and its directory: its programs detach; JVMs using it notice "
                    + "(their registrations are reported lost) and stop getting numbers from it. Needs root.")
    static final class Uninstall implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PinDir dir;

        @Override
        public Integer call() throws Exception {
            Path d = dir.get();
            HostInstaller.Uninstalled u;
            try {
                u = HostInstaller.uninstall(d);
            } catch (RuntimeException | java.nio.file.AccessDeniedException e) {
                if (Main.isPermissionDenied(e)) {
                    throw Main.needsPrivilege("publisher uninstall", "root (the pins are root's)", e);
                }
                throw e;
            }
            PrintWriter out = spec.commandLine().getOut();
            if (u.removed().isEmpty()) {
                out.println("nothing installed at " + d);
            } else {
                out.println("removed " + String.join(", ", u.removed()) + " and " + d + "; programs detached: " + u.detached()
                        + (u.stillLoaded().isEmpty() ? "" : "; still loaded after 2 s (held open by some process): " + u.stillLoaded()));
            }
            out.flush();
            return u.stillLoaded().isEmpty() ? 0 : Main.EXIT_FAILURE;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Whether the host publisher is installed, its version and features, the programs attached, how many tasks "
                    + "are registered, and the switch program's time per run from the kernel's BPF statistics (root: enabled "
                    + "for the measuring window only).")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PinDir dir;

        @Option(names = "--json", description = "One JSON object.")
        boolean json;

        @Option(names = "--seconds", paramLabel = "S", defaultValue = "1",
                description = "How long to measure the programs' cost (default ${DEFAULT-VALUE}).")
        double seconds;

        @Override
        public Integer call() throws Exception {
            if (!(seconds > 0 && seconds <= 600)) {
                throw Main.usageError(spec, "--seconds must be in (0, 600], got " + seconds);
            }
            HostStatus s = HostStatus.probe(dir.get(), Duration.ofMillis(Math.round(seconds * 1000)));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(toJson(s)));
            } else {
                print(out, s);
            }
            out.flush();
            return 0;
        }

        static Map<String, Object> toJson(HostStatus s) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("installed", s.installed());
            o.put("dir", s.dir().toString());
            o.put("reason", s.reason());
            if (s.info() != null) {
                HostInfo.Content i = s.info();
                o.put("version", i.version());
                o.put("programs_fingerprint", i.programs());
                o.put("abi", i.abi());
                o.put("struct_size", i.structSize());
                o.put("features", HostInfo.featureNames(i.features()[0]));
                o.put("seed", i.hasSeed());
                o.put("group_gid", i.groupGid());
                o.put("installed_at", Instant.ofEpochSecond(0, i.installedAtEpochNanos()).toString());
            }
            List<Map<String, Object>> programs = new ArrayList<>();
            for (HostStatus.Program p : s.programs()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("name", p.name());
                j.put("id", p.id());
                j.put("pin", p.pin());
                j.put("attached", p.attached());
                j.put("run_count", p.runCount());
                j.put("run_time_ns", p.runTimeNanos());
                programs.add(j);
            }
            o.put("programs", programs);
            o.put("programs_reason", s.programsReason());
            o.put("registered_tasks", s.registeredTasks() < 0 ? null : s.registeredTasks());
            o.put("registered_reason", s.registeredReason());
            o.put("switch_ns_per_run", Double.isNaN(s.switchNanosPerRun()) ? null : Math.round(s.switchNanosPerRun() * 10) / 10.0);
            o.put("switch_runs", s.switchRuns());
            o.put("stats_reason", s.statsReason());
            return o;
        }

        private static void print(PrintWriter out, HostStatus s) {
            if (!s.installed()) {
                out.println("not installed: " + s.reason());
                return;
            }
            HostInfo.Content i = s.info();
            out.printf("installed   %s%n", s.dir());
            out.printf("version     %s%n", i.describe());
            out.printf("features    %s (struct %d bytes%s)%n", String.join(", ", HostInfo.featureNames(i.features()[0])), i.structSize(),
                    i.hasSeed() ? ", seed program pinned" : ", no seed program");
            out.printf("group       gid %d%n", i.groupGid());
            if (s.programsReason() != null) {
                out.printf("programs    %s%n", s.programsReason());
            }
            for (HostStatus.Program p : s.programs()) {
                out.printf("program     %-10s id %-6d %s%n", p.name(), p.id(), p.attached() ? "attached (" + p.pin() + ")" : "pinned as " + p.pin() + ", run by members");
            }
            out.printf("registered  %s%n", s.registeredTasks() >= 0 ? s.registeredTasks() + " tasks" : s.registeredReason());
            out.printf("cost        %s%n", Double.isNaN(s.switchNanosPerRun())
                    ? (s.statsReason() != null ? s.statsReason() : "no switch in the window")
                    : String.format("%.1f ns per run of %s over %d runs (kernel BPF statistics, which add ~20-30 ns themselves)",
                            s.switchNanosPerRun(), dev.taskshared.publisher.HostPrograms.SWITCH, s.switchRuns()));
        }
    }
}
