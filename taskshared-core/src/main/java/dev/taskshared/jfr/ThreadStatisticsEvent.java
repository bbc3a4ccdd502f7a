package dev.taskshared.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Percentage;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Unsigned;

/**
 * Periodic JFR event {@value TaskSharedEvents#THREAD_STATISTICS}: one per registered thread of
 * each {@link TaskSharedEvents#register registered} instance, every period (1 s unless the
 * recording's settings say otherwise). Emitted from the slots with loads only: no system call per
 * thread, unlike {@code jdk.ThreadCPULoad}. Totals have the slot's meaning ({@code cpuTime} and
 * {@code runQueueDelay} since the thread started, the others since it registered); a number the
 * live publisher does not provide is {@code Long.MIN_VALUE} ("N/A").
 */
@Name(TaskSharedEvents.THREAD_STATISTICS)
@Label("TaskShared Thread Statistics")
@Category("taskshared")
@Description("Scheduler statistics of one registered thread, read from its taskshared slot")
@Period("1 s")
@StackTrace(false)
public final class ThreadStatisticsEvent extends Event {
    @Label("OS Thread Id")
    @Description("Kernel tid")
    int tid;

    @Label("Thread")
    @Description("The Java platform thread that registered, if it registered itself")
    Thread thread;

    @Label("Thread Name")
    @Description("Its Java name, if it registered itself")
    String threadName;

    @Label("CPU")
    @Description("CPU it runs or last ran on")
    int cpu;

    @Label("CPU Time")
    @Description("Time on CPU since the thread started, exact now")
    @Timespan(Timespan.NANOSECONDS)
    long cpuTime;

    @Label("CPU Load")
    @Description("Share of one CPU used since this thread's previous event (N/A in its first)")
    @Percentage
    float cpuLoad;

    @Label("Off-CPU Time")
    @Description("Time not running since registration (blocked, sleeping or waiting for a CPU), as of now")
    @Timespan(Timespan.NANOSECONDS)
    long offCpuTime;

    @Label("Run-Queue Delay")
    @Description("Time runnable but waiting for a CPU since the thread started")
    @Timespan(Timespan.NANOSECONDS)
    long runQueueDelay;

    @Label("Switches")
    @Description("Times scheduled in since the thread started")
    @Unsigned
    long switches;

    @Label("Voluntary Switches")
    @Description("Switches because the thread blocked or slept, since registration")
    @Unsigned
    long voluntarySwitches;

    @Label("Involuntary Switches")
    @Description("Preemptions since registration")
    @Unsigned
    long involuntarySwitches;

    @Label("Migrations")
    @Description("CPU changes since registration")
    @Unsigned
    long migrations;
}
