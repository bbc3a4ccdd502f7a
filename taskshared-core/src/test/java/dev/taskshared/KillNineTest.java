package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.HoldProbe;
import dev.taskshared.testing.Privileged;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** kill -9 of a JVM with registered threads leaves no BPF program (nor its links and maps) of its own. */
class KillNineTest {

    @Test
    void killNineLeavesNoProgramBehind() throws Exception {
        Privileged.require("bpf", bpfAllowed(), "the BPF publisher cannot start here");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Dtaskshared.mode=bpf",
                "-cp", ChildJvm.classPath(), HoldProbe.class.getName()).redirectErrorStream(true).start();
        List<Integer> programs = new ArrayList<>();
        List<String> output = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String line;
            while (System.nanoTime() < deadline && (line = r.readLine()) != null && !line.equals("ready")) {
                output.add(line);
                if (line.startsWith("prog ")) {
                    programs.add(Integer.parseInt(line.substring(5)));
                }
            }
            assertThat(programs).as(String.join("\n", output)).isNotEmpty();
            assertThat(output.get(0)).contains("registered 20");
            for (int id : programs) {
                assertThat(BpfProgram.exists(id)).as("program %d while the JVM lives", id).isTrue();
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS); // its region is a memfd: the kernel freed it with the process
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Integer> left = new ArrayList<>(programs);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            left.removeIf(id -> !BpfProgram.exists(id)); // the kernel frees them once the last fd and link are gone
            Thread.sleep(50);
        }
        assertThat(left).as("programs of the killed JVM still loaded").isEmpty();
    }

    private static boolean bpfAllowed() {
        try (TaskShared ts = TaskShared.builder().mode(Mode.BPF).build()) {
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
