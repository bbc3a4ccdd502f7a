package dev.taskshared.export;

/**
 * What a group of threads has used, in total: its live threads' numbers plus the last numbers of
 * its threads that ended. Each total only grows. Times in nanoseconds; a number the live
 * publisher does not provide is 0 (check {@code TaskShared.supports}).
 *
 * @param group the group's name
 * @param liveThreads registered threads of the group now
 * @param cpuNanos time on CPU (each thread's since it started)
 * @param offCpuNanos time off CPU (each thread's since it registered)
 * @param runDelayNanos time waiting on a run queue (each thread's since it started)
 * @param voluntarySwitches switches because a thread blocked (since registration)
 * @param involuntarySwitches preemptions (since registration)
 * @param migrations CPU changes (since registration)
 */
public record GroupTotals(String group, int liveThreads, long cpuNanos, long offCpuNanos, long runDelayNanos,
                          long voluntarySwitches, long involuntarySwitches, long migrations) {
}
