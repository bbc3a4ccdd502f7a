package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.monitor.ProcessMonitor;
import dev.taskshared.monitor.ThreadSample;
import dev.taskshared.region.RegionLocator;
import dev.taskshared.region.RegionReader;
import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.RegionHolder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * next pids), that user cannot open the region, and after kill -9 nothing remains.
 */
class RegionSafetyTest {

    /**
     * The squatter plants its files in a /dev/shm of a private mount namespace that only the
     * victim JVM sees: the names it takes would deny the old scheme to every other JVM on this
     * shared machine otherwise.
     */
    @Test
    void anotherUserCannotSquatOrReadTheRegion() throws Exception {
        requireRootWith("/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/runuser", "/usr/bin/unshare");
        String user = "tssquat" + ThreadLocalRandom.current().nextInt(100_000, 999_999);
        Process holder = null;
        run("/usr/sbin/useradd", "--no-create-home", "--shell", "/bin/sh", user);
        try {
            // As itself, the squatter pre-creates the names a JVM would have used: taskshared-<pid>
            // (and -<pid>-1) for the next 300 pids, and the default memfd name as a file.
            int next = Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/ns_last_pid")).strip()) + 1;
            String plant = "umask 077; for p in $(seq " + next + " " + (next + 300) + "); do"
                    + " : > /dev/shm/taskshared-$p; : > /dev/shm/taskshared-$p-1; done; : > /dev/shm/taskshared-region";
            String script = "mount -t tmpfs -o mode=1777 taskshared-test /dev/shm"
                    + " && /usr/sbin/runuser -u " + user + " -- /bin/sh -c '" + plant + "'"
                    + " && echo planted $(ls /dev/shm | wc -l) $(stat -c %U /dev/shm/taskshared-region)"
                    + " && exec '" + ProcessHandle.current().info().command().orElseThrow() + "' --enable-native-access=ALL-UNNAMED -cp '"
                    + ChildJvm.classPath() + "' " + RegionHolder.class.getName() + " victim";
            holder = new ProcessBuilder("/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script)
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream()));
            String planted = out.readLine();
            assertThat(planted).as("the squatter's files, seen by the victim").isEqualTo("planted 603 " + user);
            String region = null;
            for (String line; (line = out.readLine()) != null && !line.startsWith("tid "); ) {
                if (line.startsWith("region ")) {
                    region = line.split(" ")[1];
                }
            }
            int pid = (int) holder.pid();
            assertThat(region).as("the victim started and registered").isNotNull()
                    .isEqualTo(RegionLocator.candidates(pid).get(0).toString()).startsWith("/proc/" + pid + "/fd/");
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
                holder.waitFor(10, TimeUnit.SECONDS); // its mount namespace, and the planted files, end with it
            }
            exec("/usr/sbin/userdel", "--force", user);
        }
    }

    @Test
    void killNineLeavesNothingBehind() throws Exception {
        Process holder = RegionHolder.start("doomed");
        try {
            String region = RegionHolder.awaitRegion(holder);
            assertThat(Files.readSymbolicLink(Path.of(region)).toString())
                    .as("a memfd: no name in any file system").isEqualTo(RegionLocator.LINK_TARGET);
            assertThat(shmOf(holder.pid())).isEmpty();
            new ProcessBuilder("kill", "-9", Long.toString(holder.pid())).start().waitFor();
            assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(holder.exitValue()).isEqualTo(128 + 9);
            assertThat(Files.exists(Path.of(region))).isFalse();
            assertThat(shmOf(holder.pid())).as("nothing left under /dev/shm").isEmpty();
            assertThat(RegionLocator.publishingProcesses()).doesNotContain((int) holder.pid());
        } finally {
            holder.destroyForcibly();
        }
    }

    /** /dev/shm entries named for process {@code pid} (other sessions on this machine may have their own). */
    private static Set<String> shmOf(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(Long.toString(pid))).collect(Collectors.toSet());
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
