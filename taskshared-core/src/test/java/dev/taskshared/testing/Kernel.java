package dev.taskshared.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kernel's own accounting, as tests compare the library's numbers against it. */
public final class Kernel {
    /** USER_HZ ticks of /proc/stat, in nanoseconds (USER_HZ is 100 on Linux). */
    public static final long TICK_NANOS = 10_000_000;

    private Kernel() {
    }

    /** Time the hypervisor stole from all CPUs so far (the steal column of /proc/stat's cpu line), ns. */
    public static long stealNanos() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return Long.parseLong(f[8]) * TICK_NANOS;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code /proc/<tid>/status}'s voluntary and nonvoluntary context switches. */
    public static long[] switches(long tid) {
        try {
            long[] out = new long[2];
            for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/status"))) {
                if (line.startsWith("voluntary_ctxt_switches:")) {
                    out[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                    out[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code /proc/<tid>/schedstat}: sum_exec_runtime (ns), run_delay (ns), pcount. Works for any
     * thread of any process (a process's main thread has tid = pid).
     */
    public static long[] schedstat(long tid) {
        try {
            String[] f = Files.readString(Path.of("/proc/" + tid + "/schedstat")).trim().split("\\s+");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
