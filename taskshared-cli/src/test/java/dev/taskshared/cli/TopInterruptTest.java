package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * ^C of {@code taskshared top} leaves nothing behind: top of a process that does not use the
 * library holds a region of its own (a memfd) while it runs; SIGINT ends it, and no file is left
 * under /dev/shm or anywhere else.
 */
class TopInterruptTest {

    @Test
    void interruptingTopLeavesNoRegion() throws Exception {
        Process target = new ProcessBuilder("sleep", "600").start();
        // env --default-signal=INT: a JVM started with SIGINT ignored (any child of a background job of a
        // non-interactive shell, e.g. `nohup bash .ci/run &`) keeps ignoring it, and ^C would do nothing.
        Process top = new ProcessBuilder("env", "--default-signal=INT", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", ChildJvm.classPath(), "dev.taskshared.cli.Main",
                "top", Long.toString(target.pid()), "--interval", "0.2", "--mode", "sampling")
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(top.getInputStream()));
            StringBuilder seen = new StringBuilder();
            for (String line; (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.contains("pid " + target.pid() + "  mode sampling")) {
                    break;
                }
            }
            assertThat(seen.toString()).contains("mode sampling");
            List<String> regions = memfdRegions(top.pid());
            assertThat(regions).as("top's own region while it runs").isNotEmpty()
                    .allMatch(t -> t.startsWith("/memfd:taskshared-region") && t.endsWith(" (deleted)"));
            assertThat(shmOf(top.pid())).isEmpty();

            new ProcessBuilder("kill", "-INT", Long.toString(top.pid())).start().waitFor();
            if (!top.waitFor(20, TimeUnit.SECONDS)) {
                // Say where it is (seen when SIGINT was ignored from the start, before env --default-signal).
                Process dump = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(top.pid()), "Thread.print").redirectErrorStream(true).start();
                String threads = new String(dump.getInputStream().readAllBytes());
                throw new AssertionError("top did not end within 20 s of SIGINT; its threads:\n" + threads + "\nits output:\n" + seen);
            }
            assertThat(top.exitValue()).isEqualTo(128 + 2);
            assertThat(Files.exists(Path.of("/proc/" + top.pid()))).isFalse();
            assertThat(shmOf(top.pid())).as("nothing left under /dev/shm").isEmpty();
        } finally {
            top.destroyForcibly();
            target.destroyForcibly();
            target.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static List<String> memfdRegions(long pid) throws IOException {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("/memfd:taskshared")) {
                        found.add(target);
                    }
                } catch (IOException closed) {
                    // closed while we listed
                }
            }
        }
        return found;
    }

    /** /dev/shm entries named for process {@code pid} (other sessions on this machine may have their own). */
    static Set<String> shmOf(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(Long.toString(pid)))
                    .collect(Collectors.toSet());
        }
    }
}
