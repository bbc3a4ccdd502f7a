package dev.taskshared.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskshared.TaskShared;
import dev.taskshared.exit.ThreadExit;
import dev.taskshared.taskstats.CpuSet;
import dev.taskshared.taskstats.DelayAccounting;
import dev.taskshared.taskstats.ExitListener;
import dev.taskshared.taskstats.ExitMonitor;
import dev.taskshared.taskstats.ExitRecord;
import dev.taskshared.taskstats.Overrun;
import dev.taskshared.taskstats.TaskStats;
import dev.taskshared.taskstats.TaskstatsClient;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskshared exits}: exit statistics per CPU, like the kernel's getdelays. */
@Command(name = "exits", mixinStandardHelpOptions = true,
        description = {"Stream the exit statistics of tasks that exit on the chosen CPUs, or query one pid or tgid.",
                "Records come from the kernel's taskstats (one socket per CPU, so each carries its exit CPU) and, for threads"
                        + " this JVM registered in BPF mode, from the BPF exit program. Needs CAP_NET_ADMIN (root).",
                "With delay accounting off (kernel.task_delayacct = 0) the CPU delay fields (cpu_count, cpu_delay_total) are"
                        + " still filled, from the scheduler's own statistics; the block I/O, swap-in, reclaim, thrashing,"
                        + " compaction, write-protect-copy and IRQ delays read 0."})
public final class ExitsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cpus", paramLabel = "LIST", description = "CPUs to listen on, in the kernel's list format (e.g. 0-3,8); default: all.")
    String cpus;

    static final class Query {
        @Option(names = "--pid", paramLabel = "P", description = "Print the statistics of thread P now, then exit.")
        Integer pid;

        @Option(names = "--tgid", paramLabel = "T", description = "Print the statistics of process T now, then exit.")
        Integer tgid;
    }

    @ArgGroup(exclusive = true)
    Query query;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N records.")
    Integer count;

    @Option(names = "--timeout", paramLabel = "S", description = "Stop after S seconds.")
    Double timeoutSeconds;

    @Option(names = "--json", description = "One JSON object per line: tid, tgid, comm, cpu, source, kind and the statistics, snake_case with units.")
    boolean json;

    @Option(names = "--enable-delayacct", description = "Turn kernel.task_delayacct on first (root), so that the block I/O, swap-in and other non-CPU delays are counted; say so.")
    boolean enableDelayacct;

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Bad input first: a usage error must not depend on privilege or on the kernel.
        if (count != null && count <= 0) {
            throw Main.usageError(spec, "--count must be positive, got " + count);
        }
        if (timeoutSeconds != null && !(timeoutSeconds > 0)) {
            throw Main.usageError(spec, "--timeout must be positive, got " + timeoutSeconds);
        }
        if (query != null && (query.pid != null ? query.pid : query.tgid) <= 0) {
            throw Main.usageError(spec, (query.pid != null ? "--pid" : "--tgid") + " must be positive");
        }
        CpuSet set;
        try {
            set = cpus == null ? CpuSet.possible() : CpuSet.parse(cpus);
        } catch (IllegalArgumentException e) {
            throw Main.usageError(spec, "--cpus: " + e.getMessage());
        }
        if (enableDelayacct) {
            if (DelayAccounting.isEnabled()) {
                err.println("taskshared: delay accounting is already on (kernel.task_delayacct = 1)");
            } else {
                try {
                    DelayAccounting.enable();
                } catch (IllegalStateException e) {
                    if (Main.isPermissionDenied(e)) {
                        throw Main.needsPrivilege("exits --enable-delayacct", "root (it writes kernel.task_delayacct)", e);
                    }
                    throw e;
                }
                err.println("taskshared: turned delay accounting on (kernel.task_delayacct = 1); it stays on until reboot or `sysctl kernel.task_delayacct=0`");
            }
        } else if (DelayAccounting.isAvailable() && !DelayAccounting.isEnabled()) {
            err.println("taskshared: delay accounting is off (kernel.task_delayacct = 0): the CPU delay fields are filled, the block I/O,"
                    + " swap-in and other non-CPU delays read 0; --enable-delayacct turns it on");
        }
        err.flush();
        try {
            return query != null ? query(out) : stream(set, out, err);
        } catch (RuntimeException e) {
            if (Main.isPermissionDenied(e)) {
                throw Main.needsPrivilege("exits", "CAP_NET_ADMIN", e);
            }
            throw e;
        }
    }

    private int query(PrintWriter out) throws Exception {
        try (TaskstatsClient ts = TaskstatsClient.open()) {
            boolean byTgid = query.tgid != null;
            int id = byTgid ? query.tgid : query.pid;
            TaskStats st = byTgid ? ts.queryTgid(id) : ts.queryPid(id);
            ExitRecord r = new ExitRecord(byTgid ? 0 : id, byTgid ? id : (int) st.get(TaskStats.Field.AC_TGID).orElse(0),
                    st.comm(), -1, ExitRecord.Source.TASKSTATS, byTgid ? ExitRecord.Kind.THREAD_GROUP : ExitRecord.Kind.TASK, st);
            print(out, r, true);
            out.flush();
            return 0;
        }
    }

    private int stream(CpuSet set, PrintWriter out, PrintWriter err) throws Exception {
        LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        long deadline = timeoutSeconds == null ? Long.MAX_VALUE : System.nanoTime() + (long) (timeoutSeconds * 1e9);
        int printed = 0;
        try (ExitMonitor monitor = ExitMonitor.open();
             ExitMonitor.Registration ignored = monitor.register(set, new ExitListener() {
                 @Override
                 public void onExit(ExitRecord record) {
                     queue.add(record);
                 }

                 @Override
                 public void onOverrun(Overrun overrun) {
                     queue.add(overrun);
                 }
             })) {
            // Threads of this JVM registered with the library in BPF mode also report through BPF.
            AutoCloseable follow = TaskShared.isStarted() ? monitor.follow(TaskShared.get()) : () -> { };
            try (follow) {
                if (!json) {
                    err.println("listening for exits on CPUs " + set + (timeoutSeconds == null ? "" : " for " + timeoutSeconds + " s")
                            + (count == null ? "" : ", " + count + " records") + "; Ctrl-C stops");
                    err.flush();
                    out.printf("%-7s %-7s %-16s %3s %-9s %-5s %12s %12s %12s %8s %8s%n", "TID", "TGID", "COMM", "CPU", "SOURCE",
                            "KIND", "CPU_ms", "RUNQ_ms", "BLKIO_ms", "NVCSW", "NIVCSW");
                }
                while (count == null || printed < count) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    Object o = queue.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                    if (o instanceof ExitRecord r) {
                        print(out, r, false);
                        printed++;
                    } else if (o instanceof Overrun ov) {
                        err.println("taskshared: socket buffer overrun on CPU " + ov.cpu() + ": " + ov.droppedRecords()
                                + " records lost (" + ov.totalDroppedRecords() + " in all)");
                        err.flush();
                    }
                    out.flush();
                }
            }
            if (monitor.droppedRecords() > 0) {
                err.println("taskshared: " + monitor.droppedRecords() + " exit records were lost to socket buffer overruns");
            }
        }
        // Records that arrived after the last one printed: the monitor is closed, so the count is final.
        long unprinted = queue.stream().filter(o -> o instanceof ExitRecord).count();
        if (unprinted > 0) {
            err.println("taskshared: " + unprinted + " exit record" + (unprinted == 1 ? " was" : "s were") + " received but not printed (stopped by "
                    + (count != null && printed >= count ? "--count " + count : "--timeout " + timeoutSeconds) + ")");
        }
        err.flush();
        return 0;
    }

    private void print(PrintWriter out, ExitRecord r, boolean verbose) throws Exception {
        if (json) {
            out.println(mapper.writeValueAsString(toJson(r)));
        } else if (verbose && r.stats() != null) {
            toJson(r).forEach((k, v) -> out.printf("%-28s %s%n", k, v));
        } else {
            TaskStats s = r.stats();
            ThreadExit b = r.thread();
            double cpuMs = s != null ? s.get(TaskStats.Field.CPU_RUN_VIRTUAL_TOTAL).orElse(0) / 1e6 : b.sumExecRuntimeNanos() / 1e6;
            double runqMs = s != null ? s.get(TaskStats.Field.CPU_DELAY_TOTAL).orElse(0) / 1e6 : b.runDelayNanos() / 1e6;
            String blkio = s != null ? String.format("%.3f", s.get(TaskStats.Field.BLKIO_DELAY_TOTAL).orElse(0) / 1e6) : "-";
            long nvcsw = s != null ? s.get(TaskStats.Field.NVCSW).orElse(0) : b.nvcsw();
            long nivcsw = s != null ? s.get(TaskStats.Field.NIVCSW).orElse(0) : b.nivcsw();
            boolean group = r.kind() == ExitRecord.Kind.THREAD_GROUP;
            out.printf("%-7s %-7d %-16s %3s %-9s %-5s %12.3f %12.3f %12s %8d %8d%n", group ? "-" : Integer.toString(r.tid()), r.tgid(),
                    r.comm().isEmpty() ? "-" : r.comm(),
                    r.cpu() < 0 ? "-" : Integer.toString(r.cpu()), r.source().name().toLowerCase(), group ? "group" : "task",
                    cpuMs, runqMs, blkio, nvcsw, nivcsw);
        }
    }

    static Map<String, Object> toJson(ExitRecord r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("tid", r.kind() == ExitRecord.Kind.THREAD_GROUP ? null : r.tid()); // a group's record names no thread
        o.put("tgid", r.tgid());
        o.put("comm", r.comm());
        o.put("cpu", r.cpu() < 0 ? null : r.cpu());
        o.put("source", r.source().name().toLowerCase());
        o.put("kind", r.kind() == ExitRecord.Kind.TASK ? "task" : "thread_group");
        if (r.stats() != null) {
            TaskStats s = r.stats();
            o.put("version", s.version());
            for (TaskStats.Field f : TaskStats.Field.values()) {
                if (f == TaskStats.Field.AC_COMM || !s.has(f)) {
                    continue;
                }
                o.put(f.jsonName(), s.get(f).orElse(0));
            }
        }
        if (r.thread() != null) {
            ThreadExit b = r.thread();
            o.put("sum_exec_runtime_ns", b.sumExecRuntimeNanos());
            o.put("run_delay_ns", b.runDelayNanos());
            o.put("pcount", b.pcount());
            o.put("off_cpu_ns", b.offCpuNanos());
            o.put("nvcsw", b.nvcsw());
            o.put("nivcsw", b.nivcsw());
            o.put("migrations", b.migrations());
            o.put("exit_time_ns", b.exitTimeNanos());
        }
        return o;
    }
}
