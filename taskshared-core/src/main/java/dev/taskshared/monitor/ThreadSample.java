package dev.taskshared.monitor;

/**
 * One thread's numbers as a monitor saw them. Fields the source does not provide are -1.
 *
 * @param cpuPercent CPU use over the last observation interval, in percent of one CPU (-1 on the first sample)
 */
public record ThreadSample(int tid, String name, int cpu, long sumExecRuntimeNanos, long runDelayNanos, long pcount,
                           long offCpuNanos, long nvcsw, long nivcsw, long migrations, double cpuPercent) {
}
