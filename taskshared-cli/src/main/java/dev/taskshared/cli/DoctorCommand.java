package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.Diagnostics;
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
        description = "Probe the kernel, rseq, BPF, BTF/tracefs, taskstats and delay accounting for real, "
                + "and say which mode the library would run in and why.")
public final class DoctorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "One JSON object: mode, kernel, and {available, reason} per facility.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Diagnostics.Report r = Diagnostics.probe();
        PrintWriter out = spec.commandLine().getOut();
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
                o.put(name, j);
            });
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf("kernel     %s%n", r.kernel());
            r.checks().forEach((name, c) -> out.printf("%-10s %-4s %s%n", name, c.available() ? "yes" : "no", c.reason()));
            out.printf("mode       %s: %s%n", r.mode(), r.modeReason());
            out.printf("data path  %s: %s%n", r.dataPath(), r.dataPathReason());
        }
        out.flush();
        return 0;
    }
}
