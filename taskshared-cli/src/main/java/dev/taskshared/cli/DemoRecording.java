package dev.taskshared.cli;

import dev.taskshared.TaskShared;
import dev.taskshared.jfr.TaskSharedEvents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;

/**
 * {@code taskshared demo --jfr FILE}: a JFR recording of the demo, with the JDK's default events
 * and every taskshared event, written to FILE when closed.
 */
final class DemoRecording implements AutoCloseable {
    private final Recording recording;
    private final AutoCloseable periodic;
    private final Path file;

    private DemoRecording(Recording recording, AutoCloseable periodic, Path file) {
        this.recording = recording;
        this.periodic = periodic;
        this.file = file;
    }

    /** Starts recording; fails first, with the reason, if FILE cannot be written. */
    static DemoRecording start(TaskShared ts, Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--jfr " + file + ": no such directory " + dir);
        }
        if (Files.isDirectory(file) || (Files.exists(file) && !Files.isWritable(file))) {
            throw new IllegalArgumentException("--jfr " + file + ": not a writable file");
        }
        Recording r = new Recording(TaskSharedEvents.settings("default"));
        r.setName("taskshared demo");
        r.setToDisk(true);
        AutoCloseable periodic = TaskSharedEvents.register(ts);
        try {
            r.setDestination(file);
            r.start();
        } catch (IOException | RuntimeException e) {
            r.close();
            closeQuietly(periodic);
            throw e instanceof IOException io ? new UncheckedIOException("--jfr " + file + ": " + io.getMessage(), io)
                    : (RuntimeException) e;
        }
        return new DemoRecording(r, periodic, file);
    }

    /** Stops the recording, which writes FILE. */
    @Override
    public void close() {
        try {
            recording.stop();
        } finally {
            recording.close();
            closeQuietly(periodic);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("the JFR recording was not written to " + file);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // removing a periodic hook does not fail
        }
    }
}
