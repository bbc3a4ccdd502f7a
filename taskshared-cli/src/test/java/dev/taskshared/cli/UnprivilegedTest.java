package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without privilege the library still works and says why BPF is off: the CLI run with every
 * capability dropped (setpriv --bounding-set=-all; the uid stays, so the classpath stays
 * readable) reports sampling mode with the kernel's reason.
 */
class UnprivilegedTest {

    @Test
    void withoutPrivilegeDoctorSaysSamplingAndWhy() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is not installed");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-all",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", ChildJvm.classPath(),
                "dev.taskshared.cli.Main", "doctor", "--json"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        JsonNode d = new ObjectMapper().readTree(out);
        assertThat(d.get("mode").asText()).isEqualTo("sampling");
        assertThat(d.get("bpf").get("available").asBoolean()).isFalse();
        assertThat(d.get("bpf").get("reason").asText()).containsAnyOf("EPERM", "EACCES").contains("CAP_BPF");
        assertThat(d.get("taskstats").get("available").asBoolean()).isFalse();
        assertThat(d.get("rseq").get("available").asBoolean()).isTrue();
        assertThat(d.get("mode_reason").asText()).contains("samples /proc");
    }
}
