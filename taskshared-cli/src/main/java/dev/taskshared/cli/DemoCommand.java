package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.cli.DemoWorkload.Op;
import dev.taskshared.cli.DemoWorkload.OpStats;
import dev.taskshared.cli.MeasurementCosts.Cost;
import dev.taskshared.vthread.VirtualThreads;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code taskshared demo}: runs {@link DemoWorkload}, prints what the library measured per
 * operation class, checks the numbers add up, and times each way of measuring on this machine.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs a small in-process key-value service (get, put, scan, flush) on more worker threads than CPUs,"
                    + " measures every operation with the library, and prints per operation class its wall, CPU,"
                    + " off-CPU and run-queue time and switches; then times each way of measuring, side by side.",
            "Takes about --seconds plus a few seconds."})
public final class DemoCommand implements Callable<Integer> {
    static final String COST_NOTE = "rough in-process timings on this machine, now (best of 7 rounds after warm-up);"
            + " `taskshared bench` gives JMH figures";

    @Option(names = "--seconds", defaultValue = "10", paramLabel = "S",
            description = "How long clients submit requests, 1-45 (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--workers", defaultValue = "6", paramLabel = "N",
            description = "Worker threads serving requests (default: ${DEFAULT-VALUE}; the point is more than CPUs).")
    int workers;

    @Option(names = "--iterations", defaultValue = "200000", paramLabel = "N",
            description = "Timed calls per way of measuring in the cost table (default: ${DEFAULT-VALUE};"
                    + " slow ways stop after ~0.7 s).")
    int iterations;

    @Option(names = "--json", description = "Print one JSON object (snake_case keys, nanoseconds) instead of tables.")
    boolean json;

    @Option(names = "--jfr", paramLabel = "FILE",
            description = "Also write a JDK Flight Recorder recording of the workload to FILE: every operation as a"
                    + " dev.taskshared.Operation event, the workers' dev.taskshared.ThreadStatistics every second, and the"
                    + " JDK's default events. Read it with `jfr print --events dev.taskshared.Operation FILE` or JMC.")
    Path jfr;

    @Option(names = "--virtual-threads", description = {"Run the workers as virtual threads, each operation measured on the"
            + " virtual thread itself (CPU, off-CPU and run-queue time of its carriers while it was mounted) by the taskshared"
            + " agent. Without the agent in this JVM, the demo runs itself again in a new JVM with"
            + " -javaagent:<lib>/taskshared-agent-<version>.jar (needs BPF mode)."})
    boolean virtualThreads;

    /** Set in the JVM the demo relaunched with the agent, so that a failing agent cannot loop. */
    static final String RELAUNCHED = "taskshared.demo.relaunched";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || seconds > 45) {
            throw new ParameterException(spec.commandLine(), "--seconds must be 1..45, not " + seconds);
        }
        if (workers < 1 || workers > 256) {
            throw new ParameterException(spec.commandLine(), "--workers must be 1..256, not " + workers);
        }
        if (iterations < 1000) {
            throw new ParameterException(spec.commandLine(), "--iterations must be at least 1000, not " + iterations);
        }
        PrintWriter err = spec.commandLine().getErr();
        if (virtualThreads && !VirtualThreads.isActive()) {
            return relaunchWithAgent(err);
        }
        TaskShared ts = TaskShared.get();
        if (!json) {
            err.printf(Locale.ROOT, "taskshared demo: %d %sworkers on %d CPUs for %d s, mode %s...%n", workers,
                    virtualThreads ? "virtual-thread " : "", Runtime.getRuntime().availableProcessors(), seconds, modeName(ts.mode()));
            err.flush();
        }
        DemoWorkload.Result result;
        try (DemoRecording recording = jfr == null ? null : DemoRecording.start(ts, jfr)) {
            result = new DemoWorkload(workers, Duration.ofSeconds(seconds), virtualThreads).run();
        }
        if (jfr != null && !json) {
            err.printf(Locale.ROOT, "taskshared demo: wrote the JFR recording %s (jfr summary %s)%n", jfr, jfr);
            err.flush();
        }
        if (!json) {
            err.println("taskshared demo: timing each way of measuring...");
            err.flush();
        }
        List<Cost> costs = MeasurementCosts.measure(iterations);
        Report report = report(ts, result, costs);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper()
                    .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .enable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(report));
        } else {
            printText(out, report);
        }
        out.flush();
        return 0;
    }

    /**
     * Runs this command again in a JVM started with the agent (the least surprising way: the same
     * command line works from the launcher, from {@code java -cp}, and from tests). The agent jar
     * is the one among this JVM's jars (target/lib holds it, and its boot-class-path half, beside
     * the core jar it names). The new JVM runs on the class path, whether this one ran on the module
     * path (the launcher) or not: the agent's jar is not a module. Output goes straight through.
     */
    private int relaunchWithAgent(PrintWriter err) throws Exception {
        if (Boolean.getBoolean(RELAUNCHED)) {
            throw new IllegalStateException("--virtual-threads: the taskshared agent is loaded but not active: " + VirtualThreads.status());
        }
        List<String> jars = new ArrayList<>();
        for (String property : new String[] {"jdk.module.path", "java.class.path"}) {
            for (String entry : System.getProperty(property, "").split(java.io.File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                java.nio.file.Path path = java.nio.file.Path.of(entry);
                if (java.nio.file.Files.isDirectory(path)) { // a module path names directories of jars
                    try (var listing = java.nio.file.Files.list(path)) {
                        listing.map(java.nio.file.Path::toString).filter(n -> n.endsWith(".jar")).sorted()
                                .filter(n -> !jars.contains(n)).forEach(jars::add);
                    }
                } else if (!jars.contains(entry)) {
                    jars.add(entry);
                }
            }
        }
        String agent = null;
        for (String entry : jars) {
            String name = java.nio.file.Path.of(entry).getFileName().toString();
            if (name.startsWith("taskshared-agent-") && name.endsWith(".jar") && !name.endsWith("-bridge.jar")) {
                agent = entry;
            }
        }
        if (agent == null) {
            throw new IllegalStateException("--virtual-threads needs the taskshared agent, and no taskshared-agent-*.jar is among"
                    + " this JVM's jars (start the JVM with -javaagent:taskshared-agent.jar)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Djdk.module.") || arg.startsWith("--enable-native-access")) {
                continue; // the module path and main module of this JVM, replaced below
            }
            cmd.add(arg);
        }
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-javaagent:" + agent);
        cmd.add("-D" + RELAUNCHED + "=true");
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, jars));
        cmd.add(Main.class.getName());
        cmd.addAll(spec.root().commandLine().getParseResult().originalArgs());
        if (!json) {
            err.println("taskshared demo: the taskshared agent is not loaded in this JVM; running again with -javaagent:" + agent);
            err.flush();
        }
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        try {
            return p.waitFor();
        } finally {
            p.destroyForcibly();
        }
    }

    static String modeName(Mode mode) {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------------------ the report

    /** The whole output; serialised as is for --json. */
    record Report(String mode, String modeDescription, boolean offCpuFromSlot, String workerThreads, Workload workload,
                  Map<String, OpReport> operations, Checks checks, List<CostRow> cost, String costNote) {
    }

    record Workload(int seconds, int workers, int clients, int cpus, Map<String, Integer> mixPercent, String description) {
    }

    record Dist(double mean, long p99, long max) {
        static Dist of(DemoWorkload.Measure h) {
            return new Dist(Math.round(h.mean() * 10) / 10.0, h.quantile(0.99), h.max());
        }
    }

    record OpReport(long count, long invalid, Dist wallNs, Dist cpuNs, Dist offCpuNs, Dist runDelayNs, Dist queuedNs,
                    double switchesMean, double voluntarySwitchesMean, double involuntarySwitchesMean,
                    long maxDeviationNs, long cpuAboveWall) {
    }

    record Checks(long wallNsTotal, long cpuNsTotal, long offCpuNsTotal, double sumDeviationRatio, long maxDeviationNs,
                  long opsWithCpuAboveWall, boolean cpuPlusOffCpuMatchesWall, long workerCpuNs, double opsCpuShareOfWorkerCpu,
                  Long workerRunDelayNs, double flushSleepNsMean, double flushOffCpuNsMean, boolean flushOffCpuCoversSleep) {
    }

    record CostRow(String id, String method, double nsPerOp, long iterations, String note) {
    }

    private Report report(TaskShared ts, DemoWorkload.Result r, List<Cost> costs) {
        Map<String, OpReport> ops = new LinkedHashMap<>();
        long wall = 0;
        long cpu = 0;
        long off = 0;
        long maxDev = 0;
        for (Op op : Op.values()) {
            OpStats s = r.of(op);
            long n = s.wall.count();
            ops.put(op.label(), new OpReport(n, s.invalid, Dist.of(s.wall), Dist.of(s.cpu), Dist.of(s.offCpu),
                    Dist.of(s.runDelay), Dist.of(s.queued), perOp(s.switches, n), perOp(s.voluntary, n),
                    perOp(s.involuntary, n), s.maxDeviation, s.cpuAboveWall));
            wall += s.wall.sum();
            cpu += s.cpu.sum();
            off += s.offCpu.sum();
            maxDev = Math.max(maxDev, s.maxDeviation);
        }
        double deviation = wall == 0 ? 0 : Math.abs(cpu + off - wall) / (double) wall;
        OpStats flush = r.of(Op.FLUSH);
        long flushes = flush.wall.count();
        double sleepMean = flushes == 0 ? 0 : (double) r.flushSleepNanos() / flushes;
        double flushOffMean = flush.offCpu.mean();
        long cpuAboveWall = 0;
        for (Op op : Op.values()) {
            cpuAboveWall += r.of(op).cpuAboveWall;
        }
        Checks checks = new Checks(wall, cpu, off, round(deviation, 6), maxDev, cpuAboveWall, deviation < 0.001,
                r.workerCpuNanos(),
                r.workerCpuNanos() == 0 ? 0 : round((double) cpu / r.workerCpuNanos(), 4),
                r.runDelayKnown() ? r.workerRunDelayNanos() : null, round(sleepMean, 1), round(flushOffMean, 1),
                flushes > 0 && flushOffMean >= sleepMean);
        Map<String, Integer> mix = new LinkedHashMap<>();
        for (Op op : Op.values()) {
            mix.put(op.label(), op.percent);
        }
        Workload workload = new Workload(seconds, r.workers(), 2, r.cpus(), mix,
                "get: map lookup; put: SHA-256 journal append under one contended lock; scan: copy, sort and hash"
                        + " 256 KiB; flush: write 16 KiB + fdatasync, padded with a sleep to 1-3 ms");
        List<CostRow> rows = new ArrayList<>();
        for (Cost c : costs) {
            rows.add(new CostRow(c.way().id, c.way().label, round(c.nanosPerOp(), 1), c.iterations(), c.note()));
        }
        String workerThreads = virtualThreads
                ? "virtual: each operation measured on its virtual thread across remounts by the taskshared agent ("
                        + VirtualThreads.status() + ")"
                : "platform";
        return new Report(modeName(ts.mode()), ts.modeDescription(), ts.supports(Feature.OFF_CPU), workerThreads, workload, ops, checks,
                rows, COST_NOTE);
    }

    private static double perOp(long total, long n) {
        return n == 0 ? 0 : round((double) total / n, 3);
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }

    // ------------------------------------------------------------------------------- plain text

    private static void printText(PrintWriter out, Report r) {
        Workload w = r.workload();
        out.printf(Locale.ROOT, "taskshared demo: an in-process key-value service, every operation measured by the library%n");
        out.printf(Locale.ROOT, "  %d workers + %d clients on %d CPUs for %d s; mix %s%n", w.workers(), w.clients(), w.cpus(),
                w.seconds(), mixText(w.mixPercent()));
        out.printf(Locale.ROOT, "  %s%n", w.description());
        out.printf(Locale.ROOT, "  mode: %s — %s%n", r.mode(), r.modeDescription());
        out.printf(Locale.ROOT, "  worker threads: %s%n", r.workerThreads());
        if (r.offCpuFromSlot()) {
            out.printf(Locale.ROOT, "  off-CPU comes from the slot (measured at each context switch); CPU = wall - off-CPU, from loads only%n");
        } else {
            out.printf(Locale.ROOT, "  CPU is exact (clock_gettime at start and stop), off-CPU = wall - CPU; run-queue wait and switches%n"
                    + "  are as of the sampler's last pass, so they arrive in lumps: read their means, not single ops%n");
        }
        out.printf(Locale.ROOT, "  every figure includes part of the measurement's own cost (Interval start+stop, in the last table)%n");
        out.println();
        out.printf(Locale.ROOT, "%-6s %9s  %-17s %-17s %-17s %-17s %-17s %s%n", "op", "", "wall µs", "cpu µs", "off-cpu µs",
                "run-queue µs", "queued µs", "switches/op");
        out.printf(Locale.ROOT, "%-6s %9s  %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6s %6s%n", "", "count", "mean", "p99", "mean",
                "p99", "mean", "p99", "mean", "p99", "mean", "p99", "vol", "invol");
        for (Map.Entry<String, OpReport> e : r.operations().entrySet()) {
            OpReport o = e.getValue();
            out.printf(Locale.ROOT, "%-6s %9d  %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6.2f %6.2f%n", e.getKey(), o.count(),
                    us(o.wallNs().mean()), us(o.wallNs().p99()), us(o.cpuNs().mean()), us(o.cpuNs().p99()),
                    us(o.offCpuNs().mean()), us(o.offCpuNs().p99()), us(o.runDelayNs().mean()), us(o.runDelayNs().p99()),
                    us(o.queuedNs().mean()), us(o.queuedNs().p99()), o.voluntarySwitchesMean(), o.involuntarySwitchesMean());
        }
        long invalid = r.operations().values().stream().mapToLong(OpReport::invalid).sum();
        if (invalid > 0) {
            out.printf(Locale.ROOT, "  (%d operations left out: their interval was not valid)%n", invalid);
        }
        out.println();
        Checks c = r.checks();
        out.println("checks");
        out.printf(Locale.ROOT, "  cpu + off-cpu = wall: %s s + %s s = %s s vs %s s of wall (off by %.4f%%)  %s%n",
                s(c.cpuNsTotal()), s(c.offCpuNsTotal()), s(c.cpuNsTotal() + c.offCpuNsTotal()), s(c.wallNsTotal()),
                c.sumDeviationRatio() * 100, c.cpuPlusOffCpuMatchesWall() ? "ok" : "MISMATCH");
        if (c.opsWithCpuAboveWall() > 0) {
            out.printf(Locale.ROOT, "    %d operations had cpu > wall + 1 µs, by up to %s µs: the thread CPU clock and"
                    + " CLOCK_MONOTONIC are different clocks%n", c.opsWithCpuAboveWall(), us(c.maxDeviationNs()));
        }
        out.printf(Locale.ROOT, "  operations used %s s of the %s s CPU the workers used in all (%.1f%%, %s at thread"
                + " start/end; the rest is queue handling)%n", s(c.cpuNsTotal()), s(c.workerCpuNs()),
                c.opsCpuShareOfWorkerCpu() * 100, r.workerThreads().equals("platform") ? "clock_gettime" : "the agent's totals");
        out.printf(Locale.ROOT, "  flush: off-cpu mean %s µs >= its mean sleep %s µs  %s%n", us(c.flushOffCpuNsMean()),
                us(c.flushSleepNsMean()), c.flushOffCpuCoversSleep() ? "ok" : "MISMATCH");
        if (c.workerRunDelayNs() != null) {
            out.printf(Locale.ROOT, "  the workers waited %s s in all on a run queue (%d workers on %d CPUs)%n", s(c.workerRunDelayNs()),
                    w.workers(), w.cpus());
        }
        out.println();
        out.printf(Locale.ROOT, "cost of each way of measuring: %s%n", r.costNote());
        out.printf(Locale.ROOT, "  %-50s %10s %9s  %s%n", "way", "ns/op", "calls", "what it does");
        for (CostRow row : r.cost()) {
            out.printf(Locale.ROOT, "  %-50s %10.1f %9d  %s%n", row.method(), row.nsPerOp(), row.iterations(), row.note());
        }
    }

    private static String mixText(Map<String, Integer> mix) {
        StringBuilder b = new StringBuilder();
        mix.forEach((k, v) -> b.append(b.isEmpty() ? "" : " / ").append(k).append(' ').append(v).append('%'));
        return b.toString();
    }

    /** Nanoseconds as microseconds, with precision that fits the size. */
    static String us(double nanos) {
        double u = nanos / 1000.0;
        if (u < 10) {
            return String.format(Locale.ROOT, "%.2f", u);
        }
        if (u < 1000) {
            return String.format(Locale.ROOT, "%.1f", u);
        }
        return String.format(Locale.ROOT, "%.0f", u);
    }

    private static String s(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
    }
}
