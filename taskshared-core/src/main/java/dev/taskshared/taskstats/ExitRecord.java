package dev.taskshared.taskstats;

import dev.taskshared.exit.ThreadExit;

/**
 * The final statistics of a task, or of a whole thread group, that exited on {@code cpu}.
 *
 * @param tid the exiting thread's id; 0 for a {@link Kind#THREAD_GROUP} record, which names no thread
 * @param tgid its process id (0 where the kernel's struct predates ac_tgid, version 12)
 * @param comm the command name, as the kernel truncates it (15 characters); empty for a
 *     {@link Kind#THREAD_GROUP} record, for which the kernel sends none
 * @param cpu the CPU the task exited on
 * @param source where the record came from
 * @param kind one task, or the sum over a thread group
 * @param stats the kernel's statistics ({@link Source#TASKSTATS}); null for a {@link Source#BPF} record
 * @param thread the slot's final numbers ({@link Source#BPF}); null for a taskstats record
 */
public record ExitRecord(int tid, int tgid, String comm, int cpu, Source source, Kind kind, TaskStats stats,
                         ThreadExit thread) {

    /** A taskstats record. */
    public ExitRecord(int tid, int tgid, String comm, int cpu, Source source, Kind kind, TaskStats stats) {
        this(tid, tgid, comm, cpu, source, kind, stats, null);
    }

    /** The record of a registered thread's exit, seen by the BPF publisher. */
    public static ExitRecord of(ThreadExit e) {
        return new ExitRecord(e.tid(), e.tgid(), e.comm(), e.cpu(), Source.BPF, Kind.TASK, null, e);
    }

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
