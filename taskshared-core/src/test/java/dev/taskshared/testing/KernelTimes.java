package dev.taskshared.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.ThreadStats;
import dev.taskshared.taskstats.TaskStats;

/** The check every utime/stime test makes: the slot's numbers are task_struct's, as taskstats reports them. */
public final class KernelTimes {
    private KernelTimes() {
    }

    /**
     * {@code h}'s utime and stime equal taskstats' ac_utime and ac_stime (µs) in {@code k}, queried
     * while the thread was blocked (so neither moved in between).
     */
    public static void assertAsTaskstatsSays(ThreadStats h, TaskStats k) {
        assertThat(h.utimeNanos() / 1000).as("utime vs taskstats ac_utime").isEqualTo(k.value(TaskStats.Field.AC_UTIME));
        assertThat(h.stimeNanos() / 1000).as("stime vs taskstats ac_stime").isEqualTo(k.value(TaskStats.Field.AC_STIME));
    }
}
