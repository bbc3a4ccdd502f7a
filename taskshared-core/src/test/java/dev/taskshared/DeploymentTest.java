package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.DeploymentProbe;
import dev.taskshared.testing.Privileged;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An application can use the library from the class path (its classes in the unnamed module,
 * {@code --enable-native-access=ALL-UNNAMED}) and from the module path (module
 * {@code dev.taskshared.core}, {@code --enable-native-access=dev.taskshared.core}): in both, a child
 * JVM using only the exported API gets BPF mode, reads its own CPU time within 1% + 2 ms of
 * /proc/&lt;tid&gt;/schedstat, and the JVM prints no native-access warning (which it does when the flag
 * names the wrong module).
 */
class DeploymentTest {

    @Test
    void onTheClassPath() throws Exception {
        List<String> out = run(List.of("--enable-native-access=ALL-UNNAMED", "-cp", ChildJvm.classPath()));
        assertThat(out).as(String.join("\n", out)).contains("module unnamed", "mode BPF").anyMatch(l -> l.startsWith("check sum") && l.endsWith(" ok"));
    }

    @Test
    void onTheModulePath() throws Exception {
        Path classes = Path.of("target/classes");
        assertThat(classes.resolve("module-info.class")).exists();
        // The probe (a test class) stays on the class path, as an application that is not a module itself.
        List<String> out = run(List.of("--enable-native-access=dev.taskshared.core", "--module-path", classes.toString(),
                "--add-modules", "dev.taskshared.core", "-cp", Path.of("target/test-classes").toString()));
        assertThat(out).as(String.join("\n", out)).contains("module dev.taskshared.core", "mode BPF")
                .anyMatch(l -> l.startsWith("check sum") && l.endsWith(" ok"));
    }

    private static List<String> run(List<String> jvmArgs) throws IOException, InterruptedException {
        Privileged.require("bpf", bpfAllowed(), "the BPF publisher cannot start here");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.add("-Dtaskshared.mode=bpf");
        cmd.addAll(jvmArgs);
        cmd.add(DeploymentProbe.class.getName());
        Path log = Files.createTempFile("taskshared-deployment-", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("the probe did not finish in 60 s: " + Files.readString(log));
            }
            List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(String.join("\n", out)).isZero();
            assertThat(out).as("no native-access warning").noneMatch(l -> l.contains("WARNING"));
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean bpfAllowed() {
        try (TaskShared ts = TaskShared.builder().mode(Mode.BPF).build()) {
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
