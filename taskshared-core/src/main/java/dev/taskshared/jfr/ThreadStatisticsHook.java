package dev.taskshared.jfr;

import dev.taskshared.Feature;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import jdk.jfr.FlightRecorder;

/**
 * The periodic hook behind {@link ThreadStatisticsEvent}: JFR calls it once per period (on its
 * periodic thread, or on a recording's thread at chunk boundaries; serialised here). It emits one
 * event per registered thread of every registered instance, reading slots with loads. The hook is
 * added to JFR with the first instance and removed with the last.
 */
final class ThreadStatisticsHook {
    private static final List<TaskShared> INSTANCES = new CopyOnWriteArrayList<>();
    private static final Runnable HOOK = ThreadStatisticsHook::emit;
    private static final StatsSnapshot SNAPSHOT = new StatsSnapshot();
    /** Per handle: CLOCK_MONOTONIC ns and CPU ns at its previous event, for cpuLoad. */
    private static Map<ThreadStats, long[]> previous = new IdentityHashMap<>();

    private ThreadStatisticsHook() {
    }

    static synchronized void add(TaskShared ts) {
        if (INSTANCES.isEmpty()) {
            FlightRecorder.addPeriodicEvent(ThreadStatisticsEvent.class, HOOK);
        }
        INSTANCES.add(ts);
    }

    static synchronized void remove(TaskShared ts) {
        if (INSTANCES.remove(ts) && INSTANCES.isEmpty()) {
            FlightRecorder.removePeriodicEvent(HOOK);
            previous = new IdentityHashMap<>();
        }
    }

    private static synchronized void emit() {
        if (!new ThreadStatisticsEvent().isEnabled()) {
            return;
        }
        Map<ThreadStats, long[]> seen = new IdentityHashMap<>();
        for (TaskShared ts : INSTANCES) {
            boolean offCpu = ts.supports(Feature.OFF_CPU);
            boolean migrations = ts.supports(Feature.MIGRATIONS);
            boolean switchKinds = ts.supports(Feature.NVCSW) && ts.supports(Feature.NIVCSW);
            for (ThreadStats handle : ts.threads()) {
                ThreadStatisticsEvent e = new ThreadStatisticsEvent();
                try {
                    handle.snapshot(SNAPSHOT);
                } catch (IllegalStateException released) {
                    continue; // released since the list was taken
                }
                long now = System.nanoTime();
                long cpuTime = SNAPSHOT.onCpuSinceNanos() != 0
                        ? SNAPSHOT.sumExecRuntimeNanos() + Math.max(0, now - SNAPSHOT.onCpuSinceNanos())
                        : SNAPSHOT.sumExecRuntimeNanos();
                Thread owner = handle.thread();
                e.tid = handle.tid();
                e.thread = owner;
                e.threadName = owner == null ? null : owner.getName();
                e.cpu = SNAPSHOT.cpu();
                e.cpuTime = cpuTime;
                e.offCpuTime = offCpu ? SNAPSHOT.offCpuNanosAt(now) : OperationEvent.UNKNOWN;
                e.runQueueDelay = ts.supports(Feature.RUN_DELAY) ? SNAPSHOT.runDelayNanos() : OperationEvent.UNKNOWN;
                e.switches = ts.supports(Feature.PCOUNT) ? SNAPSHOT.pcount() : OperationEvent.UNKNOWN;
                e.voluntarySwitches = switchKinds ? SNAPSHOT.nvcsw() : OperationEvent.UNKNOWN;
                e.involuntarySwitches = switchKinds ? SNAPSHOT.nivcsw() : OperationEvent.UNKNOWN;
                e.migrations = migrations ? SNAPSHOT.migrations() : OperationEvent.UNKNOWN;
                long[] before = previous.get(handle);
                // A share of one CPU: never negative, never above 1 (the CPU clock reads are exact).
                e.cpuLoad = before == null || now <= before[0] ? Float.NaN
                        : (float) Math.clamp((double) (cpuTime - before[1]) / (now - before[0]), 0.0, 1.0);
                seen.put(handle, new long[] {now, cpuTime});
                e.commit();
            }
        }
        previous = seen;
    }
}
