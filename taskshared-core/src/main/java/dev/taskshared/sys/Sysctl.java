package dev.taskshared.sys;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a kernel setting under {@code /proc/sys} by its sysctl name ({@code kernel.pid_max}). One
 * buffered read per call: an integer sysctl answers a second read at a non-zero offset with EOF,
 * so a reader that reads in pieces can see a truncated value. Thread-safe; costs an open, a read
 * and a close.
 */
public final class Sysctl {
    private static final System.Logger LOG = System.getLogger(Sysctl.class.getName());

    private Sysctl() {
    }

    /** The file of sysctl {@code name}: {@code kernel.task_delayacct} is /proc/sys/kernel/task_delayacct. */
    public static Path path(String name) {
        if (name.isEmpty() || name.contains("/") || name.startsWith(".") || name.endsWith(".")) {
            throw new IllegalArgumentException("not a sysctl name: '" + name + "'");
        }
        return Path.of("/proc/sys", name.split("\\."));
    }

    /**
     * The value's first line, stripped.
     *
     * @throws java.nio.file.NoSuchFileException when this kernel has no such setting
     * @throws IOException when it cannot be read (for example permission)
     */
    public static String read(String name) throws IOException {
        List<String> lines = Files.readAllLines(path(name));
        return lines.isEmpty() ? "" : lines.getFirst().strip();
    }

    /**
     * The value, or empty when it cannot be read; why is logged at DEBUG. For hints and probes,
     * where a missing setting is an answer, not an error.
     */
    public static Optional<String> tryRead(String name) {
        try {
            return Optional.of(read(name));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "sysctl " + name + " is not readable: " + e);
            return Optional.empty();
        }
    }

    /** The value as a number, or empty when it cannot be read or is not a number (logged at DEBUG). */
    public static OptionalLong tryReadLong(String name) {
        Optional<String> v = tryRead(name);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.get()));
        } catch (NumberFormatException e) {
            LOG.log(Level.DEBUG, () -> "sysctl " + name + " is not a number: '" + v.get() + "'");
            return OptionalLong.empty();
        }
    }
}
