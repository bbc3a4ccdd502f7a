package dev.taskshared.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Unsigned;

/**
 * JFR event {@value TaskSharedEvents#THREAD_EXIT}: a task's final statistics from an exit record,
 * either a registered thread's last slot numbers (source {@code bpf}) or the kernel's taskstats
 * record (source {@code taskstats}). Committed when the record arrives, on the thread delivering
 * it. A number the record does not carry is {@code Long.MIN_VALUE} ("N/A"): off-CPU time and
 * migrations exist only in {@code bpf} records, user/system time and the exit code only in
 * {@code taskstats} records.
 */
@Name(TaskSharedEvents.THREAD_EXIT)
@Label("TaskShared Thread Exit")
@Category("taskshared")
@Description("Final scheduler statistics of a thread or thread group that exited")
@StackTrace(false)
public final class ThreadExitEvent extends Event {
    @Label("OS Thread Id")
    @Description("Kernel tid of the exiting thread (for a thread group: its last thread)")
    int tid;

    @Label("Process Id")
    @Description("Kernel tgid (0 when the kernel's record predates it)")
    int tgid;

    @Label("Command")
    @Description("Command name as the kernel keeps it (15 characters)")
    String comm;

    @Label("Exit CPU")
    @Description("CPU the task exited on")
    int cpu;

    @Label("Source")
    @Description("bpf: a registered thread's slot; taskstats: the kernel's exit record")
    String source;

    @Label("Kind")
    @Description("task: one thread; thread_group: the sum over a process")
    String kind;

    @Label("CPU Time")
    @Description("Time on CPU (sum_exec_runtime)")
    @Timespan(Timespan.NANOSECONDS)
    long cpuTime;

    @Label("Off-CPU Time")
    @Description("Time not running since registration (bpf records)")
    @Timespan(Timespan.NANOSECONDS)
    long offCpuTime;

    @Label("Run-Queue Delay")
    @Description("Time runnable but waiting for a CPU (run_delay; taskstats: cpu_delay_total)")
    @Timespan(Timespan.NANOSECONDS)
    long runQueueDelay;

    @Label("Switches")
    @Description("Times scheduled in (pcount; taskstats: cpu_count)")
    @Unsigned
    long switches;

    @Label("Voluntary Switches")
    @Description("Since registration for bpf records, since the start for taskstats records")
    @Unsigned
    long voluntarySwitches;

    @Label("Involuntary Switches")
    @Description("Since registration for bpf records, since the start for taskstats records")
    @Unsigned
    long involuntarySwitches;

    @Label("Migrations")
    @Description("CPU changes since registration (bpf records)")
    @Unsigned
    long migrations;

    @Label("User Time")
    @Description("User CPU time (taskstats ac_utime)")
    @Timespan(Timespan.MICROSECONDS)
    long userTime;

    @Label("System Time")
    @Description("System CPU time (taskstats ac_stime)")
    @Timespan(Timespan.MICROSECONDS)
    long systemTime;

    @Label("Exit Code")
    @Description("Exit status as wait(2) reports it (taskstats)")
    long exitCode;
}
