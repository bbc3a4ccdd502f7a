package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.PidReuseProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A monitor never takes a dead process's region for a new process with the same pid. In a fresh
 * PID namespace (so that ns_last_pid can make pids repeat at once) a JVM using the library is
 * killed with -9 and another gets its pid: the old monitor refuses to show anything, the second
 * JVM starts normally, and a new monitor shows the second JVM's threads only.
 */
class PidReuseTest {

    @Test
    void aReusedPidIsNeverConfusedWithTheDeadProcess() throws Exception {
        RegionSafetyTest.requireRootWith("/usr/bin/unshare");
        Path out = Files.createTempFile("taskshared-pidreuse", ".txt");
        try {
            Process p = new ProcessBuilder("/usr/bin/unshare", "--pid", "--fork", "--mount-proc",
                    ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", ChildJvm.classPath(), PidReuseProbe.class.getName())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the probe finished").isTrue();
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            String all = String.join("\n", lines);
            assertThat(p.exitValue()).as(all).isZero();
            assertThat(lines).as(all).contains("first 500", "alpha_seen", "second 500",
                    "old_monitor after kill: refused: process 500 exited",
                    "old_monitor after reuse: refused: process 500 exited; pid 500 now belongs to another process");
            String fresh = lines.stream().filter(l -> l.startsWith("new_monitor ")).findFirst().orElseThrow();
            assertThat(fresh).as(all).contains("beta").doesNotContain("alpha").contains("/proc/500/fd/");
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
