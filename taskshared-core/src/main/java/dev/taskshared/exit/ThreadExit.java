package dev.taskshared.exit;

/**
 * A registered thread's exit: its slot's final numbers and the CPU it exited on. Delivered by
 * whichever publisher filled the slot: this JVM's BPF exit program (through its ring buffer) or,
 * for a JVM on the host publisher, the reaper that finds the slot marked exited. Units as in the
 * slot: nanoseconds of {@code CLOCK_MONOTONIC} time and durations; counts since registration where
 * the slot keeps them so ({@code nvcsw}, {@code nivcsw}, {@code migrations}, {@code offCpuNanos}).
 *
 * @param tid the thread's id in the listener's PID namespace
 * @param tgid its process id (as the publisher saw it)
 * @param cpu the CPU it exited on
 * @param slot the index of the slot it held (freed by the time a listener sees this)
 * @param exitTimeNanos when it exited, {@code CLOCK_MONOTONIC} (the clock of {@link System#nanoTime()} on Linux)
 * @param comm its command name as the kernel truncates it (15 characters)
 */
public record ThreadExit(int tid, int tgid, int cpu, int slot, long exitTimeNanos, long sumExecRuntimeNanos,
                         long runDelayNanos, long pcount, long offCpuNanos, long nvcsw, long nivcsw, long migrations,
                         String comm) {

    /** The same exit with the thread named by {@code tid} (a PID namespace: the publisher saw the host's tid). */
    public ThreadExit withTid(int tid) {
        return new ThreadExit(tid, tgid, cpu, slot, exitTimeNanos, sumExecRuntimeNanos, runDelayNanos, pcount, offCpuNanos,
                nvcsw, nivcsw, migrations, comm);
    }
}
