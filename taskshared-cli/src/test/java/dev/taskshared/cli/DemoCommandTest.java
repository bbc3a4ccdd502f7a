package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoCommandTest {
    private static final List<String> OPS = List.of("get", "put", "scan", "flush");
    private static final List<String> COST_ROWS = List.of("threadstats_snapshot", "threadstats_run_delay",
            "threadstats_cpu", "threadstats_cpu_time_now", "interval_start_stop", "mxbean_current_thread_cpu_time",
            "mxbean_current_thread_user_time", "proc_schedstat", "clock_gettime_thread_cputime", "system_nano_time");

    @Test
    void demoJsonHasEveryOperationAndEveryWayOfMeasuring() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        int code = cmd.execute("demo", "--seconds", "2", "--iterations", "20000", "--json");
        assertThat(code).isZero();

        JsonNode root = new ObjectMapper().readTree(out.toString());
        assertThat(root.path("mode").asText()).isIn("bpf", "sampling");
        assertThat(root.path("mode_description").asText()).isNotBlank();
        for (String op : OPS) {
            JsonNode o = root.path("operations").path(op);
            assertThat(o.path("count").asLong()).as(op + " count").isPositive();
            double wall = o.path("wall_ns").path("mean").asDouble();
            double cpu = o.path("cpu_ns").path("mean").asDouble();
            assertThat(wall).as(op + " wall mean").isPositive();
            assertThat(wall).as(op + " wall mean >= cpu mean").isGreaterThanOrEqualTo(cpu);
            assertThat(o.path("off_cpu_ns").path("p99").isNumber()).isTrue();
            assertThat(o.path("run_delay_ns").path("mean").isNumber()).isTrue();
        }
        // flush sleeps 1-3 ms: the library must see it off CPU
        assertThat(root.path("operations").path("flush").path("off_cpu_ns").path("mean").asDouble()).isGreaterThan(900_000);
        assertThat(root.path("checks").path("cpu_plus_off_cpu_matches_wall").asBoolean()).isTrue();

        List<String> ids = new ArrayList<>();
        for (JsonNode row : root.path("cost")) {
            ids.add(row.path("id").asText());
            assertThat(row.path("ns_per_op").asDouble()).as(row.path("id").asText()).isPositive();
            assertThat(row.path("method").asText()).isNotBlank();
        }
        assertThat(ids).containsExactlyElementsOf(COST_ROWS);
        assertThat(root.path("cost_note").asText()).contains("taskshared bench");
    }

    @Test
    void textOutputNamesModeUnitsAndCosts() {
        StringWriter out = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("--verbose", "demo", "--seconds", "1", "--iterations", "5000")).as(err::toString).isZero();
        assertThat(out.toString()).contains("mode: ", "wall µs", "cpu µs", "off-cpu µs", "run-queue µs", "ns/op",
                "cpu + off-cpu = wall", "taskshared bench", "/proc/self/task/<tid>/schedstat");
    }

    /**
     * {@code demo --jfr FILE} writes a recording that the JDK's own {@code jfr} tool summarises and
     * prints: per-operation events whose times are nanosecond durations with cpu + off-cpu = wall
     * exactly (the Interval's identity), and the workers' periodic statistics.
     */
    @Test
    void demoWritesAJfrRecordingTheJdksToolReads(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("demo.jfr");
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(new StringWriter()));
        cmd.setErr(new PrintWriter(new StringWriter()));
        assertThat(cmd.execute("demo", "--seconds", "2", "--iterations", "5000", "--jfr", file.toString())).isZero();

        List<RecordedEvent> ops = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.taskshared.Operation")).toList();
        assertThat(ops).isNotEmpty();
        assertThat(ops.stream().map(e -> e.getString("operation")).distinct()).containsExactlyInAnyOrderElementsOf(OPS);
        for (RecordedEvent e : ops) {
            if (e.getBoolean("valid")) {
                assertThat(e.getDuration("cpuTime").plus(e.getDuration("offCpuTime"))).isEqualTo(e.getDuration("wallTime"));
                assertThat(e.getDuration("cpuTime").isNegative()).isFalse();
            }
        }

        Path jfrTool = Path.of(System.getProperty("java.home"), "bin", "jfr");
        String summary = run(jfrTool.toString(), "summary", file.toString());
        Matcher m = Pattern.compile("(?m)^\\s*dev\\.taskshared\\.Operation\\s+(\\d+)").matcher(summary);
        assertThat(m.find()).as(summary).isTrue();
        assertThat(Long.parseLong(m.group(1))).isEqualTo(ops.size());
        assertThat(summary).contains("dev.taskshared.ThreadStatistics");

        JsonNode events = new ObjectMapper().readTree(run(jfrTool.toString(), "print", "--json", "--events",
                "dev.taskshared.Operation", file.toString())).path("recording").path("events");
        assertThat(events.size()).isEqualTo(ops.size());
        // The first valid one: an invalid operation's numbers are Long.MIN_VALUE ("N/A"), printed as a huge negative duration.
        JsonNode first = null;
        for (JsonNode e : events) {
            if (e.path("values").path("valid").asBoolean()) {
                first = e.path("values");
                break;
            }
        }
        assertThat(first).as("a valid operation among " + events.size()).isNotNull();
        for (String f : List.of("wallTime", "cpuTime", "offCpuTime")) {
            // ISO-8601 durations with up to nine decimals: nanoseconds, the same as the file holds
            assertThat(first.path(f).asText()).as(f).matches("PT[0-9.]*S");
            List<Duration> printed = new ArrayList<>();
            events.forEach(e -> printed.add(Duration.parse(e.path("values").path(f).asText())));
            assertThat(printed).as(f).containsExactlyInAnyOrderElementsOf(ops.stream().map(e -> e.getDuration(f)).toList());
        }
        assertThat(first.path("operation").asText()).isIn(OPS);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    @Test
    void jfrIntoAMissingDirectoryIsAClearError() {
        CommandLine cmd = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        cmd.setOut(new PrintWriter(new StringWriter()));
        assertThat(cmd.execute("demo", "--seconds", "1", "--jfr", "/nonexistent-dir/x.jfr")).isNotZero();
        assertThat(err.toString()).contains("/nonexistent-dir");
    }

    @Test
    void badSecondsIsAUsageError() {
        CommandLine cmd = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("demo", "--seconds", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--seconds");
    }
}
