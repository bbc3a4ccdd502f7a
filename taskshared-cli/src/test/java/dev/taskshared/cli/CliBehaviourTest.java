package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.taskstats.DelayAccounting;
import dev.taskshared.taskstats.TaskstatsClient;
import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine;

/**
 * How the command line behaves at its edges: usage errors are one line with a hint and exit 2,
 * failures one line and exit 1, help texts are whole, privilege errors say what to run instead,
 * and exits says what it did not print.
 */
class CliBehaviourTest {
    private final ObjectMapper json = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"top --interval 0", "top 1 --mode xyz", "top --bogus", "exits --count 0", "exits --timeout -1",
            "exits --cpus 9-x", "exits --pid 1 --tgid 1", "bench --include nomatch", "bench --include [", "demo --seconds 0",
            "frobnicate", "top --interval", ""})
    void usageErrorsAreOneLineWithAHintAndExitTwo(String args) {
        CommandsTest.Run r = CommandsTest.run(args.isEmpty() ? new String[0] : args.split(" "));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err().lines().toList()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("taskshared: ").containsPattern("\\(see: taskshared( \\w+)? --help\\)").doesNotContain("Usage:");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void usageErrorsNameTheProblem() {
        assertThat(CommandsTest.run("top", "--interval", "0").err()).contains("--interval must be in (0, 3600] seconds, got 0.0");
        assertThat(CommandsTest.run("top", "1", "--mode", "xyz").err()).contains("--mode", "xyz", "bpf, sampling");
        assertThat(CommandsTest.run("bench", "--include", "nomatch").err())
                .contains("--include 'nomatch' matches no benchmark", "ReadPathBenchmark.read_own_stats");
        assertThat(CommandsTest.run("exits", "--count", "0").err()).contains("--count must be positive, got 0");
    }

    @Test
    void runtimeFailuresAreOneLineAndExitOne() {
        CommandsTest.Run r = CommandsTest.run("top", "2147483000", "--once");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().toList()).hasSize(1);
        assertThat(r.err()).startsWith("taskshared: no process 2147483000").doesNotContain("--help");
    }

    @Test
    void everyHelpTextIsWhole() {
        CommandLine root = Main.newCommandLine();
        for (CommandLine sub : root.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.name().equals("help")) {
                continue;
            }
            String[] description = spec.usageMessage().description();
            assertThat(description).as(spec.name()).isNotEmpty();
            for (String paragraph : description) {
                // each paragraph is whole sentences: the first one is the summary `taskshared --help` lists
                assertThat(paragraph.strip()).as(spec.name() + " description").endsWith(".");
            }
            for (var option : spec.options()) {
                for (String d : option.description()) {
                    assertThat(d.strip()).as(spec.name() + " " + option.longestName()).matches("(?s).*[.)]");
                }
            }
        }
        CommandsTest.Run r = CommandsTest.run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out().replaceAll("\\s+", " ")).contains("exits Stream the exit statistics of tasks that exit on the chosen CPUs, or query one pid or tgid.");
    }

    @Test
    void unprivilegedExitsNamesTheCapabilityAndWhatToRun() throws Exception {
        Privileged.require("setpriv", Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is not installed");
        for (String[] args : List.of(new String[] {"exits", "--count", "1", "--timeout", "1"}, new String[] {"exits", "--tgid", "1"})) {
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-all",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", ChildJvm.classPath(), "dev.taskshared.cli.Main"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(p.getErrorStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(err).isEqualTo(1);
            // the last line is the failure (a delay-accounting note may come first)
            List<String> lines = err.lines().toList();
            assertThat(lines.get(lines.size() - 1)).as(err).startsWith("taskshared: exits needs CAP_NET_ADMIN: run as root or with sudo");
        }
    }

    @Test
    void exitsSaysHowManyRecordsItDidNotPrint() throws Exception {
        var why = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", why.isEmpty(), why.orElse(""));
        // Exits in bursts of 100 at once (100 threads released together) for as long as the command
        // runs: whichever record stops it (ours or another process's), more are queued behind it.
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread burst = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<Thread> ts = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    ts.add(Thread.ofPlatform().start(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }));
                }
                go.countDown();
                for (Thread t : ts) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        // The first record's output is slow (300 ms in its flush), so that records queue behind it.
        java.io.StringWriter out = new java.io.StringWriter() {
            private boolean held;

            @Override
            public void flush() {
                if (!held && getBuffer().length() > 0) {
                    held = true;
                    dev.taskshared.testing.Work.sleep(300);
                }
            }
        };
        java.io.StringWriter err = new java.io.StringWriter();
        int code;
        try {
            CommandLine cl = Main.newCommandLine();
            cl.setOut(new java.io.PrintWriter(out));
            cl.setErr(new java.io.PrintWriter(err));
            code = cl.execute("exits", "--json", "--count", "1", "--timeout", "10");
        } finally {
            done.set(true);
            burst.join();
        }
        CommandsTest.Run r = new CommandsTest.Run(code, out.toString(), err.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).hasSize(1);
        assertThat(r.err()).containsPattern("taskshared: \\d+ exit records? (were|was) received but not printed \\(stopped by --count 1\\)");
    }

    @Test
    void aThreadGroupRecordNamesNoThreadAndCarriesTheKernelsEmptyComm() throws Exception {
        var why = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", why.isEmpty(), why.orElse(""));
        long[] child = new long[1];
        Thread spawner = Thread.ofPlatform().start(() -> {
            dev.taskshared.testing.Work.sleep(1500);
            try { // a JVM is a multi-threaded process: its end sends a thread-group record
                Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                child[0] = p.pid();
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        CommandsTest.Run r = CommandsTest.run("exits", "--json", "--timeout", "8");
        spawner.join();
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode group = null;
        String lastThreadComm = null;
        for (String line : r.out().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode e = json.readTree(line);
            if (e.get("tgid").asLong() == child[0]) {
                if (e.get("kind").asText().equals("thread_group")) {
                    group = e;
                } else {
                    lastThreadComm = e.get("comm").asText();
                }
            }
        }
        assertThat(group).as("the child JVM's thread-group record in " + r.out().length() + " chars").isNotNull();
        assertThat(lastThreadComm).isNotEmpty();
        assertThat(group.get("tid").isNull()).as("a group record names no thread").isTrue();
        assertThat(group.get("comm").asText()).as("the kernel sends none").isEmpty();
        assertThat(group.get("ac_utime_us").asLong() + group.get("ac_stime_us").asLong()).isPositive();
    }

    /** The sampler's live period of another process, in doctor and top (read from its region header). */
    @Test
    void doctorAndTopShowTheLiveSamplingPeriodOfAProcess() throws Exception {
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dtaskshared.mode=sampling", "-cp", ChildJvm.classPath(),
                dev.taskshared.testing.RegionHolder.class.getName(), "sampled").redirectErrorStream(true).start();
        try {
            dev.taskshared.testing.RegionHolder.awaitRegion(holder);
            String pid = Long.toString(holder.pid());
            CommandsTest.Run d = CommandsTest.run("doctor", "--json", "--pid", pid);
            assertThat(d.code()).as(d.err()).isZero();
            JsonNode sampling = json.readTree(d.out()).get("sampling");
            assertThat(sampling.get("interval_ms").asLong()).isEqualTo(10);
            assertThat(sampling.get("cpu_budget_percent").asDouble()).isEqualTo(1.0);
            assertThat(sampling.get("live_period_ns").asLong()).as("at least the 10 ms interval").isGreaterThanOrEqualTo(10_000_000L);
            CommandsTest.Run text = CommandsTest.run("doctor", "--pid", pid);
            assertThat(text.out()).containsPattern("sampling +every 10 ms at most, within 1% of one core.*process " + pid + " samples every [0-9.]+ ms now");

            CommandsTest.Run t = CommandsTest.run("top", pid, "--once", "--json", "--interval", "0.2");
            assertThat(t.code()).as(t.err()).isZero();
            JsonNode top = json.readTree(t.out());
            assertThat(top.get("mode").asText()).isEqualTo("sampling");
            assertThat(top.get("sample_period_ns").asLong()).isGreaterThanOrEqualTo(10_000_000L);
            assertThat(top.get("threads").findValuesAsText("name")).contains("sampled");
            assertThat(CommandsTest.run("top", pid, "--once", "--interval", "0.2").out()).containsPattern("sampled every [0-9.]+ ms");
        } finally {
            holder.getOutputStream().close();
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void withDelayAccountingOffTheCpuDelayFieldsAreFilledAndTheNoteSaysSo() throws Exception {
        var why = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", why.isEmpty(), why.orElse(""));
        Privileged.require("delay accounting switch", DelayAccounting.isAvailable(), "no " + DelayAccounting.SYSCTL);
        boolean was = DelayAccounting.isEnabled();
        try {
            DelayAccounting.disable();
            CommandsTest.Run r = CommandsTest.run("exits", "--tgid", Long.toString(ProcessHandle.current().pid()), "--json");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).contains("delay accounting is off", "the CPU delay fields are filled", "non-CPU delays read 0");
            JsonNode q = json.readTree(r.out());
            assertThat(q.get("cpu_count").asLong()).as("the scheduler's own count, kept with delay accounting off").isPositive();
            assertThat(q.get("blkio_delay_total_ns").asLong()).isZero();
        } finally {
            DelayAccounting.set(was);
        }
    }
}
