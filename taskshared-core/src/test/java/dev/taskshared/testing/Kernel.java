package dev.taskshared.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kernel's own accounting, as tests compare the library's numbers against it. */
public final class Kernel {
    private Kernel() {
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
