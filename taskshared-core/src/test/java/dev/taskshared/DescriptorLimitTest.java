package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.FdLimitProbe;
import dev.taskshared.testing.Privileged;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Under a low descriptor limit (a child JVM started by {@code prlimit --nofile=400:400}, so this
 * JVM's limit is untouched), registrations stop at the margin (64) below it with an error naming
 * the limit and the margin, and the application can still open 50 files while the sampler keeps
 * running for the threads already registered.
 */
class DescriptorLimitTest {

    @Test
    void registrationStopsAtTheMarginAndTheApplicationKeepsItsDescriptors() throws Exception {
        Privileged.require("prlimit", Files.isExecutable(Path.of("/usr/bin/prlimit")), "util-linux prlimit is not installed");
        Path out = Files.createTempFile("taskshared-fd", ".txt");
        try {
            Process p = new ProcessBuilder("/usr/bin/prlimit", "--nofile=400:400",
                    ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", ChildJvm.classPath(), FdLimitProbe.class.getName())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the probe finished").isTrue();
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            String all = String.join("\n", lines);
            assertThat(p.exitValue()).as(all).isZero();
            assertThat(lines).as(all).contains("limit 400", "opened 50");
            String refused = lines.stream().filter(l -> l.startsWith("refused ")).findFirst().orElseThrow();
            assertThat(refused).as("a DescriptorLimitException naming the limit and the margin")
                    .startsWith("refused registering thread ").contains("RLIMIT_NOFILE is 400", "leaves the top 64");
            int registered = Integer.parseInt(lines.stream().filter(l -> l.startsWith("registered ")).findFirst().orElseThrow().substring(11));
            // the JVM itself holds some tens of descriptors; one per registered thread fills the rest up to 400 - 64
            assertThat(registered).as(all).isBetween(200, 336);
            String[] passes = lines.stream().filter(l -> l.startsWith("passes ")).findFirst().orElseThrow().split(" ");
            assertThat(Long.parseLong(passes[2])).as("the sampler still runs").isGreaterThan(Long.parseLong(passes[1]));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
