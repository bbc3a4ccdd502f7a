package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.NamespaceProbe;
import dev.taskshared.testing.Privileged;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * In a container-like PID namespace ({@code unshare --pid --fork --mount-proc}) a JVM registers
 * its threads by their namespace tids; every slot must agree with the thread's own /proc (sum
 * and run delay within 1% + 2 ms, pcount within 3), on the task-storage path that names threads
 * with pidfds.
 */
class PidNamespaceTest {

    @Test
    void threadsOfAJvmInAPidNamespaceGetTheirOwnNumbers() throws Exception {
        Privileged.require("unshare", Files.isExecutable(Path.of("/usr/bin/unshare")) && isRoot(), "needs root and /usr/bin/unshare");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = Files.createTempFile("taskshared-ns", ".txt");
        try {
            Process p = new ProcessBuilder("/usr/bin/unshare", "--pid", "--fork", "--mount-proc", java,
                    "--enable-native-access=ALL-UNNAMED", "-cp", ChildJvm.classPath(), NamespaceProbe.class.getName())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the probe finished").isTrue();
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
            assertThat(lines).as(String.join("\n", lines)).contains("data_path task_storage", "checked 30");
            assertThat(lines).noneMatch(l -> l.startsWith("MISMATCH"));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }
}
