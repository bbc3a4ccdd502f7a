package dev.taskshared.bpf;

/**
 * What the kernel reports about a loaded program ({@code struct bpf_prog_info}). {@code runTimeNs}
 * and {@code runCount} grow only while run-time statistics are enabled ({@link BpfStats#enable()}
 * or sysctl {@code kernel.bpf_stats_enabled=1}); their ratio is the mean cost of one run.
 */
public record ProgramInfo(int type, int id, String tag, String name, int jitedLength, int xlatedLength, long runTimeNs, long runCount,
        long recursionMisses, int verifiedInsns) {
    /** Mean nanoseconds per run, NaN before any counted run. */
    public double meanRunNs() {
        return runCount == 0 ? Double.NaN : (double) runTimeNs / runCount;
    }
}
