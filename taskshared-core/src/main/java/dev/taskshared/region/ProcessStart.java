package dev.taskshared.region;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A process's start time as the kernel keeps it: field 22 of /proc/&lt;pid&gt;/stat, clock ticks after
 * boot. With the pid it names one process for the life of the machine, which is how a region's
 * owner is told from a later process that got the same pid. One small read; not for hot paths.
 */
final class ProcessStart {
    private ProcessStart() {
    }

    /** Process {@code pid}'s start time in clock ticks after boot, or -1 when there is no such process. */
    public static long ticks(int pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            String m = e.getMessage();
            if (m != null && m.contains("No such process")) { // ESRCH: it exited while we read
                return -1;
            }
            throw new java.io.UncheckedIOException(e);
        }
        return parse(stat);
    }

    /** Field 22 of a stat line; comm (field 2) may hold spaces and parentheses, so fields count from the last ')'. */
    static long parse(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state), so field 22 is f[19]
        if (f.length < 20) {
            throw new IllegalArgumentException("/proc/<pid>/stat has " + (f.length + 2) + " fields, expected at least 22");
        }
        return Long.parseLong(f[19]);
    }
}
