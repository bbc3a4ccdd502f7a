package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.taskstats.TaskstatsClient;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** doctor, top and exits, run as a user would run them, against this machine's kernel. */
class CommandsTest {
    private final ObjectMapper json = new ObjectMapper();

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void doctorReportsEveryFacilityWithAReason() throws Exception {
        Run r = run("doctor", "--json");
        assertThat(r.code()).isZero();
        JsonNode d = json.readTree(r.out());
        assertThat(d.get("mode").asText()).isIn("bpf", "sampling");
        assertThat(d.get("kernel").asText()).isNotBlank();
        for (String k : List.of("rseq", "bpf", "taskstats", "delayacct")) {
            assertThat(d.get(k).get("available").isBoolean()).as(k).isTrue();
            assertThat(d.get(k).get("reason").asText()).as(k).isNotBlank();
        }
        assertThat(d.get("rseq").get("available").asBoolean()).isTrue();
        Privileged.require("bpf", d.get("bpf").get("available").asBoolean(), d.get("bpf").get("reason").asText());
        Privileged.require("taskstats", d.get("taskstats").get("available").asBoolean(), d.get("taskstats").get("reason").asText());
        assertThat(d.get("mode").asText()).isEqualTo("bpf");
    }

    @Test
    void topOnceJsonWatchesAProcessThatDoesNotUseTheLibrary() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 30").start();
        try {
            Run r = run("top", Long.toString(p.pid()), "--once", "--interval", "1", "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode top = json.readTree(r.out());
            assertThat(top.get("pid").asLong()).isEqualTo(p.pid());
            assertThat(top.get("mode").asText()).isIn("bpf", "sampling");
            JsonNode t = top.get("threads").get(0);
            assertThat(t.get("tid").asLong()).isEqualTo(p.pid());
            assertThat(t.get("name").asText()).isEqualTo("sh");
            for (String k : List.of("cpu", "sum_exec_runtime_ns", "run_delay_ns", "pcount", "nvcsw", "nivcsw")) {
                assertThat(t.has(k)).as(k).isTrue();
            }
            long[] schedstat = Kernel.schedstat(p.pid());
            if (top.get("mode").asText().equals("bpf")) {
                assertThat(t.get("off_cpu_ns").asLong()).isPositive();
                // read while the shell is blocked in wait(): the kernel's numbers, as of its last switch
                assertThat(t.get("sum_exec_runtime_ns").asLong()).isBetween(schedstat[0] - schedstat[0] / 100 - 2_000_000, schedstat[0]);
            }
        } finally {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }


    @Test
    void topOfAMissingProcessIsOneClearLine() {
        Run r = run("top", "2147483000", "--once");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("taskshared: no process 2147483000");
    }

    @Test
    void exitsStreamsTheExitsOfTheChosenCpuOnly() throws Exception {
        var why = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", why.isEmpty(), why.orElse(""));
        List<Long> cpu0 = new ArrayList<>();
        List<Long> cpu1 = new ArrayList<>();
        Thread spawner = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(1500); // the command registers its cpumask first
                for (int i = 0; i < 3; i++) {
                    cpu0.add(exitOn(0));
                    cpu1.add(exitOn(1));
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Run r = run("exits", "--cpus", "0", "--json", "--timeout", "4");
        spawner.join();
        assertThat(r.code()).as(r.err()).isZero();
        List<Long> tids = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            if (!line.isBlank()) {
                JsonNode e = json.readTree(line);
                assertThat(e.get("cpu").asInt()).isZero();
                assertThat(e.get("source").asText()).isEqualTo("taskstats");
                assertThat(e.has("cpu_delay_total_ns")).isTrue();
                tids.add(e.get("tid").asLong());
            }
        }
        assertThat(tids).containsAll(cpu0).doesNotContainAnyElementsOf(cpu1);
    }

    private static long exitOn(int cpu) throws Exception {
        Process p = new ProcessBuilder("taskset", "-c", Integer.toString(cpu), "true").start();
        p.waitFor(5, TimeUnit.SECONDS);
        return p.pid();
    }

    @Test
    void exitsQueryOfThisProcess() throws Exception {
        var why = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", why.isEmpty(), why.orElse(""));
        Run r = run("exits", "--tgid", Long.toString(ProcessHandle.current().pid()), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode q = json.readTree(r.out());
        assertThat(q.get("tgid").asLong()).isEqualTo(ProcessHandle.current().pid());
        assertThat(q.get("kind").asText()).isEqualTo("thread_group");
        assertThat(q.get("ac_utime_us").asLong() + q.get("ac_stime_us").asLong()).isPositive();
    }

    @Test
    void malformedCpuListIsAClearError() {
        Run r = run("exits", "--cpus", "3-1", "--timeout", "1");
        assertThat(r.code()).as("a usage error").isEqualTo(2);
        assertThat(r.err()).contains("cpu list '3-1'").contains("(see: taskshared exits --help)");
    }
}
