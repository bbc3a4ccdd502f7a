package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.Diagnostics;
import dev.taskshared.publisher.SamplingPublisher;
import dev.taskshared.region.RegionReader;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskshared doctor}: what this machine offers and which mode the library would run in. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Probe the kernel, rseq, BPF, BTF/tracefs, taskstats, delay accounting and the host publisher for real, "
                + "and say which mode the library would run in and why.")
public final class DoctorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "One JSON object: mode, kernel, and {available, reason} per facility.")
    boolean json;

    @Option(names = "--pid", paramLabel = "PID", description = "Also report the live sampling period of process PID, read from its region.")
    Integer pid;

    @Override
    public Integer call() throws Exception {
        if (pid != null && pid <= 0) {
            throw Main.usageError(spec, "--pid must be positive, got " + pid);
        }
        Diagnostics.Report r = Diagnostics.probe();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> sampling = sampling();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("mode", r.mode());
            o.put("mode_reason", r.modeReason());
            o.put("data_path", r.dataPath());
            o.put("data_path_reason", r.dataPathReason());
            o.put("kernel", r.kernel());
            r.checks().forEach((name, c) -> {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("available", c.available());
                j.put("reason", c.reason());
                if (name.equals("host_publisher")) {
                    j.put("version", r.hostPublisherVersion());
                }
                o.put(name, j);
            });
            o.put("sampling", sampling);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf("kernel     %s%n", r.kernel());
            r.checks().forEach((name, c) -> out.printf("%-10s %-4s %s%n", name, c.available() ? "yes" : "no", c.reason()));
            out.printf("mode       %s: %s%n", r.mode(), r.modeReason());
            out.printf("data path  %s: %s%n", r.dataPath(), r.dataPathReason());
            out.printf("sampling   every %s ms at most, within %s%% of one core: the period grows with the number of threads%s%n",
                    sampling.get("interval_ms"), sampling.get("cpu_budget_percent"),
                    sampling.containsKey("live_period_ns")
                            ? String.format("; process %d samples every %.1f ms now", pid, ((Long) sampling.get("live_period_ns")) / 1e6)
                            : sampling.containsKey("live_period_reason") ? "; process " + pid + ": " + sampling.get("live_period_reason") : "");
        }
        out.flush();
        return 0;
    }

    /** The sampler's settings (from the system properties, as the library reads them) and, with --pid, that process's live period. */
    private Map<String, Object> sampling() throws Exception {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("interval_ms", Long.getLong("taskshared.sampleIntervalMillis", 10));
        double budget = SamplingPublisher.budgetFromSystemProperties() * 100;
        s.put("cpu_budget_percent", budget == Math.rint(budget) ? (Object) (long) budget : (Object) budget);
        if (pid != null) {
            try (RegionReader reader = RegionReader.open(pid, null)) {
                if (reader == null) {
                    s.put("live_period_reason", "no taskshared region this user can read");
                } else if (reader.header().kind() != dev.taskshared.region.PublisherKind.SAMPLING) {
                    s.put("live_period_reason", "publishes in " + reader.header().kind().name().toLowerCase() + " mode, at every switch");
                } else {
                    s.put("live_period_ns", reader.samplePeriodNanos());
                }
            }
        }
        return s;
    }
}
