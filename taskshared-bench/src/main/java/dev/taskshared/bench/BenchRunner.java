package dev.taskshared.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark in one JMH run, so that ratios between rows hold on a noisy machine, and
 * names the rows as the README and {@code taskshared bench} do.
 */
public final class BenchRunner {

    /**
     * One row.
     *
     * @param nsPerOp mean nanoseconds per operation
     * @param error the 99.9% confidence half-width JMH reports (NaN with one iteration)
     * @param p99Nanos the 99th percentile, for sampled rows (registration); NaN otherwise
     * @param allocBytesPerOp bytes allocated per operation (JMH's GC profiler), NaN when not measured
     */
    public record Row(String name, double nsPerOp, double error, double p99Nanos, double allocBytesPerOp) {
    }

    private BenchRunner() {
    }

    /**
     * Runs the benchmarks. Quick: one JVM per benchmark, 2 warm-up and 3 measured iterations of
     * 1 s each (a few minutes in all; coarse: a row can differ by a third between two runs).
     * Otherwise three JVMs per benchmark, each 3 warm-up and 4 measured iterations of 1 s (about
     * ten minutes): what the JIT makes of a method can differ from one JVM to the next, and three
     * of them side by side give ratios that two consecutive runs reproduce within 20 % on this
     * kind of machine (the README has two such runs).
     *
     * @param includeRegex which benchmarks (JMH regex over class.method); null for all
     */
    public static List<Row> run(boolean quick, String includeRegex, boolean verbose) throws RunnerException {
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .include(includeRegex == null ? "dev\\.taskshared\\.bench\\..*Benchmark\\..*" : includeRegex)
                .forks(quick ? 1 : 3)
                .warmupIterations(quick ? 2 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 3 : 4)
                .measurementTime(TimeValue.seconds(1))
                .timeUnit(TimeUnit.NANOSECONDS)
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xss512k")
                .addProfiler(GCProfiler.class)
                .verbosity(verbose ? VerboseMode.NORMAL : VerboseMode.SILENT);
        Collection<RunResult> results = new Runner(opts.build()).run();
        List<Row> rows = new ArrayList<>();
        for (RunResult r : results) {
            rows.add(toRow(r));
        }
        return rows;
    }

    /**
     * The benchmarks an {@code includeRegex} selects, as JMH matches them (a find over
     * {@code package.Class.method}), from the list the annotation processor generated; named
     * {@code Class.method}.
     *
     * @throws java.util.regex.PatternSyntaxException if it is not a regular expression
     */
    public static List<String> matching(String includeRegex) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(includeRegex);
        List<String> names = new ArrayList<>();
        for (var e : org.openjdk.jmh.runner.BenchmarkList.defaultList().getAll(silent(), List.of())) {
            String n = e.getUsername();
            String shortName = n.substring(n.lastIndexOf('.', n.lastIndexOf('.') - 1) + 1); // Class.method
            if (p.matcher(n).find() && !names.contains(shortName)) {
                names.add(shortName);
            }
        }
        names.sort(null);
        return names;
    }

    private static org.openjdk.jmh.runner.format.OutputFormat silent() {
        return org.openjdk.jmh.runner.format.OutputFormatFactory.createFormatInstance(
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), VerboseMode.SILENT);
    }

    private static Row toRow(RunResult r) {
        var params = r.getParams();
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        String cls = params.getBenchmark().substring(0, params.getBenchmark().lastIndexOf('.'));
        String name = switch (cls.substring(cls.lastIndexOf('.') + 1)) {
            case "PingPongBenchmark" -> "pingpong_" + (params.getParam("cpus").equals("one") ? "" : "cross_cpu_")
                    + params.getParam("publisher");
            case "ScalingBenchmark" -> (method.equals("read") ? "read_own_stats_with_" : "registration_with_")
                    + params.getParam("registered") + "_threads";
            default -> method;
        };
        Result<?> primary = r.getPrimaryResult();
        double p99 = Double.NaN;
        if (primary.getStatistics().getN() > 0 && params.getMode() == org.openjdk.jmh.annotations.Mode.SampleTime) {
            p99 = primary.getStatistics().getPercentile(99);
        }
        double alloc = Double.NaN;
        Map<String, Result> secondary = r.getSecondaryResults();
        Result<?> norm = secondary.get("gc.alloc.rate.norm");
        if (norm != null) {
            alloc = norm.getScore();
        }
        return new Row(name, primary.getScore(), primary.getScoreError(), p99, alloc);
    }
}
