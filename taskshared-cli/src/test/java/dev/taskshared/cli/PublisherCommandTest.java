package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.testing.HostFixture;
import dev.taskshared.testing.HostFixture.As;
import dev.taskshared.testing.Kernel;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host publisher from the command line, as an operator and a user meet it: root installs
 * with {@code publisher install} (again: nothing to do), {@code status --json} lists the
 * programs; an unprivileged member of the group runs {@code doctor --json} (mode bpf through the
 * host publisher) and {@code top} of a foreign process (mode bpf, CPU time within 1% + 2 ms of
 * its /proc); {@code uninstall} leaves no pin and no program of ours loaded. Runs in a private
 * BPF file system with a temporary group and users ({@link HostFixture}).
 */
class PublisherCommandTest {
    private static HostFixture fixture;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void setUp() throws Exception {
        fixture = HostFixture.create(UnaryOperator.identity());
        // Start from nothing: the fixture installed through the library; this test installs through the CLI.
        assertThat(CommandsTest.run("publisher", "uninstall", "--dir", fixture.dir().toString()).code()).isZero();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void installThenUseUnprivilegedThenUninstall() throws Exception {
        String dir = fixture.dir().toString();
        CommandsTest.Run install = CommandsTest.run("publisher", "install", "--dir", dir, "--group", fixture.group());
        assertThat(install.code()).as(install.err()).isZero();
        assertThat(install.out()).startsWith("installed at " + dir).contains("given to group " + fixture.group());
        CommandsTest.Run again = CommandsTest.run("publisher", "install", "--dir", dir, "--group", fixture.group());
        assertThat(again.code()).isZero();
        assertThat(again.out()).startsWith("already installed at " + dir).contains("nothing to do");

        JsonNode status = json.readTree(CommandsTest.run("publisher", "status", "--json", "--dir", dir, "--seconds", "0.2").out());
        assertThat(status.get("installed").asBoolean()).isTrue();
        List<Integer> programIds = new ArrayList<>();
        List<String> attached = new ArrayList<>();
        for (JsonNode p : status.get("programs")) {
            programIds.add(p.get("id").asInt());
            if (p.get("attached").asBoolean()) {
                attached.add(p.get("name").asText());
            }
        }
        assertThat(programIds).as("switch, exit, seed, seed_task").hasSize(4);
        assertThat(attached).containsExactlyInAnyOrder("tsh_switch", "tsh_exit");

        List<String> doctor = fixture.run(As.MEMBER, false, 120, Main.class, "doctor", "--json");
        JsonNode d = json.readTree(doctor.getLast());
        assertThat(d.get("mode").asText()).as(String.join("\n", doctor)).isEqualTo("bpf");
        assertThat(d.get("host_publisher").get("available").asBoolean()).isTrue();
        assertThat(d.get("host_publisher").get("version").asText()).isNotBlank();

        Process foreign = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        try {
            long[] before = Kernel.schedstat((int) foreign.pid());
            List<String> top = fixture.run(As.MEMBER, false, 120, Main.class, "top", Long.toString(foreign.pid()), "--once", "--json",
                    "--interval", "1");
            long[] after = Kernel.schedstat((int) foreign.pid());
            JsonNode t = json.readTree(top.getLast());
            assertThat(t.get("mode").asText()).as(String.join("\n", top)).isEqualTo("bpf");
            JsonNode thread = t.get("threads").get(0);
            assertThat(thread.get("tid").asLong()).isEqualTo(foreign.pid());
            long cpu = thread.get("sum_exec_runtime_ns").asLong();
            long tolerance = after[0] / 100 + 2_000_000;
            assertThat(cpu).as("top's CPU time against /proc read before and after").isBetween(before[0] - tolerance, after[0] + tolerance);
            assertThat(thread.get("off_cpu_ns").asLong()).isNotNegative();
        } finally {
            foreign.destroyForcibly().waitFor();
        }

        CommandsTest.Run uninstall = CommandsTest.run("publisher", "uninstall", "--dir", dir);
        assertThat(uninstall.code()).as(uninstall.out() + uninstall.err()).isZero();
        assertThat(uninstall.out()).startsWith("removed ").contains("programs detached");
        assertThat(Files.exists(fixture.dir())).isFalse();
        for (int id : programIds) {
            assertThat(BpfProgram.byId(id)).as("program " + id + " unloaded").isEmpty();
        }
        JsonNode gone = json.readTree(CommandsTest.run("publisher", "status", "--json", "--dir", dir).out());
        assertThat(gone.get("installed").asBoolean()).isFalse();
    }
}
