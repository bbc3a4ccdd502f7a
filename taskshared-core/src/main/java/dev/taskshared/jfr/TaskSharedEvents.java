package dev.taskshared.jfr;

import dev.taskshared.Interval;
import dev.taskshared.TaskShared;
import dev.taskshared.taskstats.CpuSet;
import dev.taskshared.taskstats.ExitMonitor;
import dev.taskshared.taskstats.ExitRecord;
import dev.taskshared.taskstats.TaskStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import jdk.jfr.Configuration;

/**
 * taskshared's JDK Flight Recorder events, in one place: {@value #OPERATION} (one measured
 * operation), {@value #THREAD_STATISTICS} (periodic, per registered thread) and
 * {@value #THREAD_EXIT} (final numbers of exiting threads). The events cost nothing while no
 * recording enables them; {@link #settings()} enables all three.
 *
 * <pre>{@code
 * op.start(); handle(request); op.stop();
 * TaskSharedEvents.commit("get", op);                        // one event per operation
 * AutoCloseable periodic = TaskSharedEvents.register(TaskShared.get());  // statistics + exits
 * }</pre>
 */
public final class TaskSharedEvents {
    /** Event name of {@link OperationEvent}. */
    public static final String OPERATION = "dev.taskshared.Operation";
    /** Event name of {@link ThreadStatisticsEvent}. */
    public static final String THREAD_STATISTICS = "dev.taskshared.ThreadStatistics";
    /** Event name of {@link ThreadExitEvent}. */
    public static final String THREAD_EXIT = "dev.taskshared.ThreadExit";
    /** Class-path resource of the settings file that enables every taskshared event. */
    public static final String SETTINGS_RESOURCE = "/dev/taskshared/jfr/taskshared.jfc";

    private TaskSharedEvents() {
    }

    /** Records a stopped {@code interval} as operation {@code operation}: {@link OperationEvent#commit}. */
    public static void commit(String operation, Interval interval) {
        OperationEvent.commit(operation, interval);
    }

    /**
     * Emits {@value #THREAD_STATISTICS} for every thread registered with {@code taskShared}, at the
     * period a recording sets (1 s by default), and {@value #THREAD_EXIT} for each of its threads
     * that exits (BPF mode). Returns the handle that stops both; thread-safe.
     */
    public static AutoCloseable register(TaskShared taskShared) {
        ThreadStatisticsHook.add(taskShared);
        AutoCloseable exits;
        try {
            exits = taskShared.onThreadExit(e -> commitExit(ExitRecord.of(e)));
        } catch (RuntimeException failure) {
            ThreadStatisticsHook.remove(taskShared);
            throw failure;
        }
        return () -> {
            ThreadStatisticsHook.remove(taskShared);
            exits.close();
        };
    }

    /**
     * Emits {@value #THREAD_EXIT} for every task the kernel reports exiting on {@code cpus}
     * (taskstats; needs CAP_NET_ADMIN). Close the returned registration to stop.
     */
    public static ExitMonitor.Registration recordExits(ExitMonitor monitor, CpuSet cpus) {
        return monitor.register(cpus, TaskSharedEvents::commitExit);
    }

    /** Writes {@value #THREAD_EXIT} for {@code record}, if the event is enabled. */
    public static void commitExit(ExitRecord record) {
        ThreadExitEvent e = new ThreadExitEvent();
        if (!e.isEnabled()) {
            return;
        }
        e.tid = record.tid();
        e.tgid = record.tgid();
        e.comm = record.comm();
        e.cpu = record.cpu();
        e.source = record.source().name().toLowerCase(Locale.ROOT);
        e.kind = record.kind().name().toLowerCase(Locale.ROOT);
        long unknown = OperationEvent.UNKNOWN;
        if (record.thread() != null) {
            var t = record.thread();
            e.cpuTime = t.sumExecRuntimeNanos();
            e.offCpuTime = t.offCpuNanos();
            e.runQueueDelay = t.runDelayNanos();
            e.switches = t.pcount();
            e.voluntarySwitches = t.nvcsw();
            e.involuntarySwitches = t.nivcsw();
            e.migrations = t.migrations();
            e.userTime = e.systemTime = e.exitCode = unknown;
        } else {
            TaskStats s = record.stats();
            e.cpuTime = orUnknown(s.get(TaskStats.Field.CPU_RUN_VIRTUAL_TOTAL));
            e.runQueueDelay = orUnknown(s.get(TaskStats.Field.CPU_DELAY_TOTAL));
            e.switches = orUnknown(s.get(TaskStats.Field.CPU_COUNT));
            e.voluntarySwitches = orUnknown(s.get(TaskStats.Field.NVCSW));
            e.involuntarySwitches = orUnknown(s.get(TaskStats.Field.NIVCSW));
            e.userTime = orUnknown(s.get(TaskStats.Field.AC_UTIME));
            e.systemTime = orUnknown(s.get(TaskStats.Field.AC_STIME));
            e.exitCode = orUnknown(s.get(TaskStats.Field.AC_EXITCODE));
            e.offCpuTime = e.migrations = unknown;
        }
        e.commit();
    }

    private static long orUnknown(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : OperationEvent.UNKNOWN;
    }

    /** The settings file {@value #SETTINGS_RESOURCE}, parsed: every taskshared event enabled. */
    public static Configuration configuration() {
        try (InputStream in = TaskSharedEvents.class.getResourceAsStream(SETTINGS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(SETTINGS_RESOURCE + " is missing from the class path");
            }
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                return Configuration.create(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + SETTINGS_RESOURCE, e);
        } catch (ParseException e) {
            throw new IllegalStateException(SETTINGS_RESOURCE + " is malformed: " + e.getMessage(), e);
        }
    }

    /**
     * Recording settings: the JDK's configuration {@code base} ("default" or "profile"), or none
     * when null, with every taskshared event enabled on top. For {@code new Recording(settings)}.
     */
    public static Map<String, String> settings(String base) {
        Map<String, String> s = new HashMap<>();
        if (base != null) {
            try {
                s.putAll(Configuration.getConfiguration(base).getSettings());
            } catch (IOException | ParseException e) {
                throw new IllegalArgumentException("no JFR configuration named " + base + ": " + e.getMessage(), e);
            }
        }
        s.putAll(configuration().getSettings());
        return s;
    }
}
