package dev.taskshared;

/**
 * What the kernel reports of one of this instance's BPF programs ({@code struct bpf_prog_info}).
 * {@code runTimeNanos} and {@code runCount} grow only while the kernel's BPF run-time statistics
 * are enabled (sysctl {@code kernel.bpf_stats_enabled=1} or {@code BPF_ENABLE_STATS}); the
 * difference of two readings, divided by the difference of the run counts, is the mean cost of one
 * run of the program.
 *
 * @param name the program's name as loaded (for example {@code ts_switch})
 * @param id the kernel's program id ({@code bpftool prog show id N})
 * @param runTimeNanos total nanoseconds the program ran while statistics were enabled
 * @param runCount runs counted while statistics were enabled
 * @param recursionMisses runs the kernel skipped because the program was already running on that CPU
 */
public record BpfProgramStats(String name, int id, long runTimeNanos, long runCount, long recursionMisses) {

    /** Mean nanoseconds per run, NaN before any counted run. */
    public double meanRunNanos() {
        return runCount == 0 ? Double.NaN : (double) runTimeNanos / runCount;
    }
}
