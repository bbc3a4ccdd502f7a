package dev.taskshared.cli;

import dev.taskshared.Interval;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rough in-process timings of each way a thread can measure itself, run one after another on the
 * calling thread: a warm-up, then a few timed rounds of which the fastest (least disturbed by other
 * load) is reported. Each loop has its own method so that no call in a loop is megamorphic, and
 * folds results into a sink so the JIT cannot drop the call. JMH figures come from {@code taskshared bench}.
 */
final class MeasurementCosts {
    /** The ways of measuring, in report order. */
    enum Way {
        SNAPSHOT("threadstats_snapshot", "ThreadStats.snapshot(reused StatsSnapshot)"),
        RUN_DELAY("threadstats_run_delay", "ThreadStats.runDelayNanos()"),
        CPU("threadstats_cpu", "ThreadStats.cpu() (current CPU)"),
        CPU_TIME_NOW("threadstats_cpu_time_now", "ThreadStats.cpuTimeNowNanos()"),
        INTERVAL("interval_start_stop", "Interval start()+stop()"),
        MXBEAN_CPU("mxbean_current_thread_cpu_time", "ThreadMXBean.getCurrentThreadCpuTime()"),
        MXBEAN_USER("mxbean_current_thread_user_time", "ThreadMXBean.getCurrentThreadUserTime()"),
        PROC_SCHEDSTAT("proc_schedstat", "read+parse /proc/self/task/<tid>/schedstat"),
        CLOCK_GETTIME("clock_gettime_thread_cputime", "Libc.threadCpuTimeNanos() (clock_gettime, FFM)"),
        NANO_TIME("system_nano_time", "System.nanoTime()");

        final String id;
        final String label;

        Way(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    /** One row: the fastest round's nanoseconds per call and how many calls were timed in all. */
    record Cost(Way way, double nanosPerOp, long iterations, String note) {
    }

    private static final int ROUNDS = 7;
    private static final int WARMUP_CALLS = 1_000_000;
    private static final long ROUND_BUDGET_NANOS = 100_000_000L; // caps the slow ways (/proc) at ~0.7 s
    private static volatile long sink;

    private final ThreadStats me = TaskShared.current();
    private final StatsSnapshot snapshot = new StatsSnapshot();
    private final Interval interval = me.newInterval();
    private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    private final Path schedstat = Path.of("/proc/self/task/" + Libc.gettid() + "/schedstat");

    /** Times every way with about {@code iterations} timed calls each (fewer for the slow ones). */
    static List<Cost> measure(int iterations) {
        MeasurementCosts m = new MeasurementCosts();
        List<Cost> costs = new ArrayList<>();
        for (Way w : Way.values()) {
            costs.add(m.time(w, iterations));
        }
        return costs;
    }

    private Cost time(Way way, int iterations) {
        int perRound = Math.max(1, iterations / ROUNDS);
        // Warm-up: enough calls for C2 to compile the loop and inline the call (~100k), bounded in time.
        long warmEnd = System.nanoTime() + 2 * ROUND_BUDGET_NANOS;
        for (int calls = 0; calls < WARMUP_CALLS && System.nanoTime() < warmEnd; calls += 1_000) {
            sink += run(way, 1_000);
        }
        double[] rounds = new double[ROUNDS];
        long total = 0;
        for (int r = 0; r < ROUNDS; r++) {
            long calls = 0;
            long t0 = System.nanoTime();
            long elapsed;
            int batch = Math.min(perRound, 1_000);
            do {
                sink += run(way, batch);
                calls += batch;
                elapsed = System.nanoTime() - t0;
            } while (calls < perRound && elapsed < ROUND_BUDGET_NANOS);
            rounds[r] = (double) elapsed / calls;
            total += calls;
        }
        Arrays.sort(rounds);
        return new Cost(way, rounds[0], total, note(way)); // the least disturbed round
    }

    private String note(Way way) {
        return switch (way) {
            case SNAPSHOT -> "loads of every field under the slot's seqlock";
            case RUN_DELAY -> "one load";
            case CPU -> "one load from the rseq area";
            case CPU_TIME_NOW -> me.supports(dev.taskshared.Feature.ON_CPU_SINCE)
                    ? "loads: sum_exec_runtime + (now - on_cpu_since)" : "a clock_gettime syscall in " + me.mode() + " mode";
            case INTERVAL -> "what the demo pays per operation";
            case MXBEAN_CPU -> "clock_gettime(thread CPU clock)";
            case MXBEAN_USER -> "reads /proc in the JVM";
            case PROC_SCHEDSTAT -> "open/read/close each time, as a naive reader would";
            case CLOCK_GETTIME -> "a syscall: the vDSO does not serve thread CPU clocks";
            case NANO_TIME -> "vDSO CLOCK_MONOTONIC: the floor";
        };
    }

    private long run(Way way, int n) {
        return switch (way) {
            case SNAPSHOT -> snapshots(n);
            case RUN_DELAY -> runDelays(n);
            case CPU -> cpus(n);
            case CPU_TIME_NOW -> cpuTimesNow(n);
            case INTERVAL -> intervals(n);
            case MXBEAN_CPU -> mxCpu(n);
            case MXBEAN_USER -> mxUser(n);
            case PROC_SCHEDSTAT -> procSchedstat(n);
            case CLOCK_GETTIME -> clockGettime(n);
            case NANO_TIME -> nanoTimes(n);
        };
    }

    private long snapshots(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += me.snapshot(snapshot).runDelayNanos();
        }
        return acc;
    }

    private long runDelays(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += me.runDelayNanos();
        }
        return acc;
    }

    private long cpus(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += me.cpu();
        }
        return acc;
    }

    private long cpuTimesNow(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += me.cpuTimeNowNanos();
        }
        return acc;
    }

    private long intervals(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            interval.start();
            interval.stop();
            acc += interval.valid() ? interval.wallNanos() : 1; // an interval whose numbers cannot be trusted has none to read
        }
        return acc;
    }

    private long mxCpu(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += mx.getCurrentThreadCpuTime();
        }
        return acc;
    }

    private long mxUser(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += mx.getCurrentThreadUserTime();
        }
        return acc;
    }

    /** What a user without the library writes: read the file, split it, parse the three numbers. */
    private long procSchedstat(int n) {
        long acc = 0;
        try {
            for (int i = 0; i < n; i++) {
                String[] f = Files.readString(schedstat).trim().split(" ");
                acc += Long.parseLong(f[0]) + Long.parseLong(f[1]) + Long.parseLong(f[2]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + schedstat, e);
        }
        return acc;
    }

    private static long clockGettime(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += Libc.threadCpuTimeNanos();
        }
        return acc;
    }

    private static long nanoTimes(int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc += System.nanoTime();
        }
        return acc;
    }
}
