package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.NamespaceProbe;
import dev.taskshared.testing.Privileged;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Under strace every system call switches the thread out, so the seed program's clock pair is
 * always split by a switch: registration must still succeed (seeded from user space, the slot
 * saying "off CPU" until the programs see a switch-in) and every slot must agree with the
 * thread's own /proc (the probe's tolerances: sum and run delay within 1% + 2 ms, pcount within 3).
 */
class TracedJvmTest {

    @Test
    void threadsOfAJvmUnderStraceRegisterAndGetTheirOwnNumbers() throws Exception {
        Privileged.bpfTaskShared().close(); // this machine can run the BPF publisher (or skip/fail with why)
        Path strace = Path.of("/usr/bin/strace");
        assumeTrue(Files.isExecutable(strace), "needs /usr/bin/strace (a tool, not a privilege)");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = Files.createTempFile("taskshared-traced", ".txt");
        try {
            // -f: every thread is traced, so each one stops at each of its system calls
            Process p = new ProcessBuilder(strace.toString(), "-f", "-qq", "-o", "/dev/null", java,
                    "--enable-native-access=ALL-UNNAMED", "-cp", ChildJvm.classPath(), NamespaceProbe.class.getName())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("the traced probe finished").isTrue();
            } finally {
                p.destroyForcibly().waitFor();
            }
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
            assertThat(lines).as(String.join("\n", lines)).contains("data_path task_storage", "checked 30");
            assertThat(lines).as(String.join("\n", lines)).noneMatch(l -> l.startsWith("MISMATCH"));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
