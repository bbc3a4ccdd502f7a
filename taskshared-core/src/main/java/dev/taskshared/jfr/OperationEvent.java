package dev.taskshared.jfr;

import dev.taskshared.Interval;
import dev.taskshared.ThreadStats;
import dev.taskshared.export.IntervalCheck;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Unsigned;

/**
 * JFR event {@value TaskSharedEvents#OPERATION}: one operation measured by an {@link Interval}
 * (wall, CPU, off-CPU and run-queue time in nanoseconds, switches). Committed on the measuring
 * thread with {@link #commit(String, Interval)}, after {@link Interval#stop()}.
 *
 * <p>The event is stamped when it is committed, i.e. at the operation's end, with a JFR duration
 * of 0: the operation's own wall time is the {@code wallTime} field. A number that is not known is
 * {@code Long.MIN_VALUE}, which {@code jfr print} and the JDK's consumers show as "N/A": every
 * number of an interval that is not valid or not consistent ({@code valid} false: e.g. a virtual
 * thread that changed carrier, see {@link IntervalCheck#consistent}), and the run-queue wait and
 * switches outside BPF mode ({@link IntervalCheck#exactWaits}).
 */
@Name(TaskSharedEvents.OPERATION)
@Label("TaskShared Operation")
@Category("taskshared")
@Description("One operation measured by a taskshared Interval: wall, CPU, off-CPU and run-queue time, switches")
@StackTrace(false)
public final class OperationEvent extends Event {
    /** What JFR records for a number that is not known ("N/A" in jfr print). */
    static final long UNKNOWN = Long.MIN_VALUE;

    @Label("Operation")
    @Description("The name the caller gave the operation")
    String operation;

    @Label("Valid")
    @Description("False when the interval was not stopped, ran partly on another OS thread than its handle's, or measured an impossible number; then every number is N/A")
    boolean valid;

    @Label("Wall Time")
    @Description("Elapsed time of the operation")
    @Timespan(Timespan.NANOSECONDS)
    long wallTime;

    @Label("CPU Time")
    @Description("Time on CPU during the operation")
    @Timespan(Timespan.NANOSECONDS)
    long cpuTime;

    @Label("Off-CPU Time")
    @Description("Time not running during the operation: blocked, sleeping or waiting for a CPU")
    @Timespan(Timespan.NANOSECONDS)
    long offCpuTime;

    @Label("Run-Queue Wait")
    @Description("Time runnable but waiting on a run queue for a CPU during the operation")
    @Timespan(Timespan.NANOSECONDS)
    long runQueueWait;

    @Label("Switches")
    @Description("Times the thread was scheduled in during the operation")
    @Unsigned
    long switches;

    @Label("Voluntary Switches")
    @Description("Switches because the thread blocked or slept")
    @Unsigned
    long voluntarySwitches;

    @Label("Involuntary Switches")
    @Description("Switches because the thread was preempted")
    @Unsigned
    long involuntarySwitches;

    @Label("OS Thread Id")
    @Description("Kernel tid of the handle's thread (for a virtual thread: its carrier)")
    int tid;

    /**
     * Records {@code interval} (stopped) as an operation named {@code operation}, if the event is
     * enabled in a running recording. When it is not, this costs one check and allocates nothing
     * once compiled (the event object does not escape); otherwise it reads the interval's getters
     * and writes one event. Call it on the thread that stopped the interval.
     */
    public static void commit(String operation, Interval interval) {
        OperationEvent event = new OperationEvent();
        if (!event.isEnabled()) {
            return;
        }
        event.set(operation, interval);
        event.commit();
    }

    /**
     * Fills the fields from {@code interval}, for callers that manage the event themselves
     * (e.g. {@code begin()} before the operation so that JFR's own duration spans it).
     *
     * @return this
     */
    public OperationEvent set(String operation, Interval interval) {
        ThreadStats stats = interval.stats();
        this.operation = operation;
        this.tid = stats.tid();
        this.valid = IntervalCheck.consistent(interval);
        if (!valid) {
            wallTime = cpuTime = offCpuTime = runQueueWait = UNKNOWN;
            switches = voluntarySwitches = involuntarySwitches = UNKNOWN;
            return this;
        }
        wallTime = interval.wallNanos();
        cpuTime = interval.cpuNanos();
        offCpuTime = interval.offCpuNanos();
        boolean exact = IntervalCheck.exactWaits(interval);
        runQueueWait = exact ? interval.runDelayNanos() : UNKNOWN;
        switches = exact ? interval.switches() : UNKNOWN;
        voluntarySwitches = exact ? interval.voluntarySwitches() : UNKNOWN;
        involuntarySwitches = exact ? interval.involuntarySwitches() : UNKNOWN;
        return this;
    }
}
