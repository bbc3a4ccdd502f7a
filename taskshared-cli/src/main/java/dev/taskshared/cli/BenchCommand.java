package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.bench.BenchRunner;
import dev.taskshared.bench.BenchRunner.Row;
import dev.taskshared.bench.SwitchCost;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskshared bench}: the read-path benchmarks, side by side, in one JMH run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"JMH benchmarks of the read path next to the JDK's and /proc's ways, in one run so that ratios hold.",
                "--quick takes a few minutes and is coarse (one JVM per benchmark); the full run, three JVMs per benchmark, about ten minutes."})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "One JVM per benchmark and fewer iterations (a few minutes; rows can differ by a third between runs).")
    boolean quick;

    @Option(names = "--json", description = "Print {\"results\":[{\"name\",\"ns_per_op\",\"error\",...}]}.")
    boolean json;

    @Option(names = "--include", paramLabel = "REGEX", description = "Only benchmarks matching this JMH regex (class.method).")
    String include;

    @Option(names = "--jmh-output", description = "Show JMH's own progress output.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (include != null) {
            List<String> matching;
            try {
                matching = BenchRunner.matching(include);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw Main.usageError(spec, "--include '" + include + "' is not a regular expression: " + e.getDescription());
            }
            if (matching.isEmpty()) {
                throw Main.usageError(spec, "--include '" + include + "' matches no benchmark; they are named class.method, e.g. "
                        + String.join(", ", BenchRunner.matching("ReadPathBenchmark\\.(read_own_stats|mxbean_cpu_time)$")));
            }
        }
        if (!json) {
            out.println("running JMH" + (quick ? " (--quick)" : "") + "; this takes a few minutes...");
            out.flush();
        }
        List<Row> rows = new ArrayList<>(BenchRunner.run(quick, include, verbose));
        if (include == null) {
            rows.addAll(switchCost(spec.commandLine().getErr()));
        }
        if (json) {
            List<Map<String, Object>> results = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", r.name());
                m.put("ns_per_op", finite(r.nsPerOp()));
                m.put("error", finite(r.error()));
                if (!Double.isNaN(r.p99Nanos())) {
                    m.put("p99_ns", finite(r.p99Nanos()));
                }
                if (!Double.isNaN(r.allocBytesPerOp())) {
                    m.put("alloc_bytes_per_op", finite(r.allocBytesPerOp()));
                }
                results.add(m);
            }
            out.println(new ObjectMapper().writeValueAsString(Map.of("results", results)));
        } else {
            printTable(out, rows);
        }
        out.flush();
        return 0;
    }

    /** The sched_switch program's own cost, from the kernel's BPF run-time statistics (BPF mode only). */
    private static List<Row> switchCost(PrintWriter err) {
        try {
            SwitchCost.Result r = SwitchCost.measure(java.time.Duration.ofSeconds(1), 5);
            return List.of(new Row("bpf_switch_empty", r.emptyNanos(), Double.NaN, Double.NaN, Double.NaN),
                    new Row("bpf_switch_unregistered", r.missNanos(), Double.NaN, Double.NaN, Double.NaN),
                    new Row("bpf_switch_registered", r.registeredNanos(), Double.NaN, Double.NaN, Double.NaN));
        } catch (RuntimeException | InterruptedException e) {
            err.println("taskshared: the BPF programs' cost was not measured: " + e.getMessage());
            err.flush();
            return List.of(); // absent, not invented
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : null;
    }

    static void printTable(PrintWriter out, List<Row> rows) {
        double mx = rows.stream().filter(r -> r.name().equals("mxbean_cpu_time")).mapToDouble(Row::nsPerOp).findFirst().orElse(Double.NaN);
        out.printf("%-36s %12s %10s %10s %12s %12s%n", "benchmark", "ns/op", "± error", "p99 ns", "alloc B/op", "vs mxbean");
        for (Row r : rows) {
            out.printf("%-36s %12.2f %10s %10s %12s %12s%n", r.name(), r.nsPerOp(),
                    Double.isFinite(r.error()) ? String.format("%.2f", r.error()) : "-",
                    Double.isNaN(r.p99Nanos()) ? "-" : String.format("%.0f", r.p99Nanos()),
                    Double.isNaN(r.allocBytesPerOp()) ? "-" : String.format("%.3f", r.allocBytesPerOp()),
                    Double.isNaN(mx) || r.nsPerOp() <= 0 ? "-" : String.format("%.1fx", mx / r.nsPerOp()));
        }
    }
}
