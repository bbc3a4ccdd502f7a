package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.Mode;
import dev.taskshared.monitor.ProcessMonitor;
import dev.taskshared.monitor.ThreadSample;
import dev.taskshared.region.RegionLocator;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code taskshared top}: a live per-thread view of any process. */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"Live per-thread scheduler statistics of a process.",
                "A process that uses taskshared is read from its own region; any other has its threads registered "
                        + "in this command's own publisher (BPF when allowed, else sampling /proc)."})
public final class TopCommand implements Callable<Integer> {

    enum SortKey { cpu, offcpu, rundelay, tid }

    enum ModeChoice { bpf, sampling }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PID",
            description = "Process to watch (default: the only process publishing a taskshared region).")
    Integer pid;

    @Option(names = "--once", description = "Observe for one interval, print once and exit.")
    boolean once;

    @Option(names = "--interval", paramLabel = "S", defaultValue = "1", description = "Seconds between refreshes (default ${DEFAULT-VALUE}).")
    double intervalSeconds;

    @Option(names = "--json", description = "JSON output (with --once: one object; otherwise one object per refresh).")
    boolean json;

    @Option(names = "--sort", defaultValue = "cpu", description = "Sort by: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    SortKey sort;

    @Option(names = "--mode", description = "Publisher for a process that has no region: ${COMPLETION-CANDIDATES} (default: best available).")
    ModeChoice mode;

    @Option(names = "--iterations", paramLabel = "N", description = "Stop after N refreshes (default: until interrupted).")
    Integer iterations;

    @Override
    public Integer call() throws Exception {
        if (!(intervalSeconds > 0 && intervalSeconds <= 3600)) {
            throw Main.usageError(spec, "--interval must be in (0, 3600] seconds, got " + intervalSeconds);
        }
        if (iterations != null && iterations <= 0) {
            throw Main.usageError(spec, "--iterations must be positive, got " + iterations);
        }
        if (pid != null && pid <= 0) {
            throw Main.usageError(spec, "PID must be positive, got " + pid);
        }
        int target = pid != null ? pid : onlyPublishingProcess();
        Mode requested = mode == null ? null : mode == ModeChoice.bpf ? Mode.BPF : Mode.SAMPLING;
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        long intervalMillis = Math.round(intervalSeconds * 1000);
        ProcessMonitor opened;
        try {
            opened = ProcessMonitor.open(target, requested);
        } catch (UnsupportedOperationException e) {
            if (requested == Mode.BPF && Main.isPermissionDenied(e)) {
                throw Main.needsPrivilege("top --mode bpf", "CAP_BPF and CAP_PERFMON", e);
            }
            throw e;
        }
        try (ProcessMonitor monitor = opened) {
            monitor.sample(); // the baseline for CPU%
            int shown = 0;
            while (true) {
                Thread.sleep(intervalMillis);
                List<ThreadSample> threads;
                try {
                    threads = sorted(monitor.sample());
                } catch (IllegalStateException e) {
                    out.println(e.getMessage() != null && e.getMessage().startsWith("process ") ? e.getMessage() : "process " + target + " exited");
                    out.flush();
                    return once ? 1 : 0;
                }
                if (json) {
                    out.println(mapper.writeValueAsString(toJson(monitor, threads)));
                } else {
                    if (!once) {
                        out.print("\033[H\033[2J");
                    }
                    printTable(out, monitor, threads);
                }
                out.flush();
                shown++;
                if (once || (iterations != null && shown >= iterations)) {
                    return 0;
                }
            }
        }
    }

    private List<ThreadSample> sorted(List<ThreadSample> threads) {
        Comparator<ThreadSample> c = switch (sort) {
            case cpu -> Comparator.comparingDouble(ThreadSample::cpuPercent).reversed();
            case offcpu -> Comparator.comparingLong(ThreadSample::offCpuNanos).reversed();
            case rundelay -> Comparator.comparingLong(ThreadSample::runDelayNanos).reversed();
            case tid -> Comparator.comparingInt(ThreadSample::tid);
        };
        List<ThreadSample> l = new ArrayList<>(threads);
        l.sort(c.thenComparingInt(ThreadSample::tid));
        return l;
    }

    static Map<String, Object> toJson(ProcessMonitor m, List<ThreadSample> threads) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("pid", m.pid());
        o.put("mode", m.mode().name().toLowerCase());
        o.put("source", m.source());
        o.put("unreadable_slots", m.unreadableSlots());
        o.put("sample_period_ns", m.samplePeriodNanos());
        o.put("sampled_threads", m.sampledThreads());
        List<Map<String, Object>> ts = new ArrayList<>();
        for (ThreadSample t : threads) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("tid", t.tid());
            j.put("name", t.name());
            j.put("cpu", t.cpu() < 0 ? null : t.cpu());
            j.put("sum_exec_runtime_ns", orNull(t.sumExecRuntimeNanos()));
            j.put("run_delay_ns", orNull(t.runDelayNanos()));
            j.put("pcount", orNull(t.pcount()));
            j.put("off_cpu_ns", orNull(t.offCpuNanos()));
            j.put("nvcsw", orNull(t.nvcsw()));
            j.put("nivcsw", orNull(t.nivcsw()));
            j.put("migrations", orNull(t.migrations()));
            j.put("cpu_percent", t.cpuPercent() < 0 ? null : Math.round(t.cpuPercent() * 10) / 10.0);
            ts.add(j);
        }
        o.put("threads", ts);
        return o;
    }

    private static Long orNull(long v) {
        return v < 0 ? null : v;
    }

    private static void printTable(PrintWriter out, ProcessMonitor m, List<ThreadSample> threads) {
        out.printf("pid %d  mode %s  threads %d  (%s)%n", m.pid(), m.mode().name().toLowerCase(), threads.size(), m.source());
        if (m.unreadableSlots() > 0) {
            out.printf("%d slot(s) unreadable, not shown: %s%n", m.unreadableSlots(), m.unreadableReason());
        }
        if (m.samplePeriodNanos() > 0) {
            out.printf("sampled every %.1f ms (values are at most that old)%n", m.samplePeriodNanos() / 1e6);
        }
        out.printf("%8s %-16s %4s %6s %12s %12s %12s %9s %9s %9s %6s%n",
                "TID", "NAME", "CPU", "CPU%", "ON_CPU_ms", "OFF_CPU_ms", "RUNQ_ms", "PCOUNT", "NVCSW", "NIVCSW", "MIGR");
        for (ThreadSample t : threads) {
            out.printf("%8d %-16s %4s %6s %12s %12s %12s %9s %9s %9s %6s%n", t.tid(), t.name(),
                    t.cpu() < 0 ? "-" : Integer.toString(t.cpu()),
                    t.cpuPercent() < 0 ? "-" : String.format("%.1f", t.cpuPercent()),
                    millis(t.sumExecRuntimeNanos()), millis(t.offCpuNanos()), millis(t.runDelayNanos()),
                    count(t.pcount()), count(t.nvcsw()), count(t.nivcsw()), count(t.migrations()));
        }
    }

    private static String millis(long nanos) {
        return nanos < 0 ? "-" : String.format("%.3f", nanos / 1e6);
    }

    private static String count(long v) {
        return v < 0 ? "-" : Long.toString(v);
    }

    private int onlyPublishingProcess() throws IOException {
        List<Integer> pids = new ArrayList<>(RegionLocator.publishingProcesses());
        pids.remove(Integer.valueOf((int) ProcessHandle.current().pid()));
        if (pids.size() == 1) {
            return pids.get(0);
        }
        throw Main.usageError(spec, pids.isEmpty() ? "no process publishes a taskshared region that this user can read: name a PID"
                : "several processes publish a taskshared region " + pids + ": name a PID");
    }
}
