package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.monitor.ProcessMonitor;
import dev.taskshared.monitor.ThreadSample;
import dev.taskshared.region.RegionLocator;
import dev.taskshared.region.RegionReader;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.RegionHolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The region cannot be squatted and is never left behind: a JVM using the library works while
 * another user has pre-created every name the old scheme used (/dev/shm/taskshared-&lt;pid&gt; for the
 * next pids) and that user cannot open the region; after kill -9 nothing remains.
 */
class RegionSafetyTest {

    @Test
    void anotherUserCannotSquatOrReadTheRegion() throws Exception {
        requireRootWith("/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/runuser");
        String user = "tssquat" + ThreadLocalRandom.current().nextInt(100_000, 999_999);
        List<Path> planted = new ArrayList<>();
        Process holder = null;
        run("/usr/sbin/useradd", "--no-create-home", "--shell", "/bin/sh", user);
        try {
            // The squatter pre-creates, as itself, the names a JVM would have used: taskshared-<pid>
            // for the next 300 pids, the default memfd name, and files it cannot be made to drop.
            int next = Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/ns_last_pid")).strip()) + 1;
            String script = "umask 077; for p in $(seq " + next + " " + (next + 300) + "); do"
                    + " : > /dev/shm/taskshared-$p; : > /dev/shm/taskshared-$p-1; done; : > /dev/shm/taskshared-region";
            run("/usr/sbin/runuser", "-u", user, "--", "/bin/sh", "-c", script);
            try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
                planted.addAll(s.filter(p -> p.getFileName().toString().startsWith("taskshared-")).toList());
            }
            assertThat(planted).as("the squatter's files").hasSizeGreaterThan(600);

            holder = RegionHolder.start("victim");
            String region = RegionHolder.awaitRegion(holder);
            int pid = (int) holder.pid();
            assertThat(region).isEqualTo(RegionLocator.candidates(pid).get(0).toString()).startsWith("/proc/" + pid + "/fd/");
            try (RegionReader r = RegionReader.open(pid, null)) {
                assertThat(r).isNotNull();
                assertThat(r.header().ownerPid()).isEqualTo(pid);
            }
            try (ProcessMonitor m = ProcessMonitor.open(pid, null)) {
                assertThat(m.sample()).extracting(ThreadSample::name).contains("victim");
            }
            // The squatter cannot open it (the kernel checks ptrace read access for /proc/<pid>/fd).
            Result denied = exec("/usr/sbin/runuser", "-u", user, "--", "/bin/sh", "-c", "cat " + region + " > /dev/null");
            assertThat(denied.code()).as(denied.out()).isNotZero();
            assertThat(denied.out()).contains("Permission denied");
        } finally {
            if (holder != null) {
                holder.getOutputStream().close();
                holder.destroyForcibly();
                holder.waitFor(10, TimeUnit.SECONDS);
            }
            for (Path p : planted) {
                Files.deleteIfExists(p);
            }
            exec("/usr/sbin/userdel", "--force", user);
        }
    }

    @Test
    void killNineLeavesNothingBehind() throws Exception {
        Set<String> before = shm();
        Process holder = RegionHolder.start("doomed");
        try {
            String region = RegionHolder.awaitRegion(holder);
            assertThat(Files.readSymbolicLink(Path.of(region)).toString())
                    .as("a memfd: no name in any file system").isEqualTo(RegionLocator.LINK_TARGET);
            assertThat(shm()).isEqualTo(before);
            new ProcessBuilder("kill", "-9", Long.toString(holder.pid())).start().waitFor();
            assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(holder.exitValue()).isEqualTo(128 + 9);
            assertThat(Files.exists(Path.of(region))).isFalse();
            assertThat(shm()).as("nothing left under /dev/shm").isEqualTo(before);
            assertThat(RegionLocator.publishingProcesses()).doesNotContain((int) holder.pid());
        } finally {
            holder.destroyForcibly();
        }
    }

    private static Set<String> shm() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("taskshared")).collect(Collectors.toSet());
        }
    }

    static void requireRootWith(String... tools) throws IOException {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        boolean tooling = Stream.of(tools).allMatch(t -> Files.isExecutable(Path.of(t)));
        Privileged.require("root with " + String.join(", ", tools), root && tooling, "needs root and " + String.join(", ", tools));
    }

    record Result(int code, String out) {
    }

    private static void run(String... cmd) throws Exception {
        Result r = exec(cmd);
        assertThat(r.code()).as(String.join(" ", cmd) + ": " + r.out()).isZero();
    }

    private static Result exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
