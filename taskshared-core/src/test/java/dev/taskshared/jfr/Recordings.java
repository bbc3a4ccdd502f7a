package dev.taskshared.jfr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Runs code under a JFR recording and reads back what it wrote, deleting the file. */
final class Recordings {
    interface Body {
        void run() throws Exception;
    }

    private Recordings() {
    }

    /** The events of {@code eventName} recorded while {@code body} ran with {@code settings}. */
    static List<RecordedEvent> record(Map<String, String> settings, String eventName, Body body) throws Exception {
        Path file = Files.createTempFile("taskshared-test", ".jfr");
        try (Recording r = new Recording(settings)) {
            r.start();
            body.run();
            r.stop();
            r.dump(file);
            return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(eventName)).toList();
        } finally {
            deleteQuietly(file);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
