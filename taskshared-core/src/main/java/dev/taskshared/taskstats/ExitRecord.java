package dev.taskshared.taskstats;

/**
 * The final statistics of a task, or of a whole thread group, that exited on {@code cpu}.
 *
 * @param tid the exiting thread's id (for a {@link Kind#THREAD_GROUP} record: the last thread)
 * @param tgid its process id (0 where the kernel's struct predates ac_tgid, version 12)
 * @param comm the command name, as the kernel truncates it (15 characters)
 * @param cpu the CPU the task exited on
 * @param source where the record came from
 * @param kind one task, or the sum over a thread group
 * @param stats the statistics
 */
public record ExitRecord(int tid, int tgid, String comm, int cpu, Source source, Kind kind, TaskStats stats) {

    /** Who delivered the record. */
    public enum Source {
        /** The kernel's taskstats genetlink family (TASKSTATS_CMD_NEW to a registered cpumask). */
        TASKSTATS,
        /** The library's BPF program (sched_process_exit), for registered threads. */
        BPF
    }

    /** What the statistics cover. */
    public enum Kind {
        /** One thread (TASKSTATS_TYPE_AGGR_PID). */
        TASK,
        /** A whole thread group, sent when its last thread exits (TASKSTATS_TYPE_AGGR_TGID). */
        THREAD_GROUP
    }
}
