package dev.taskshared;

import dev.taskshared.host.HostPins;
import dev.taskshared.host.HostPublisher;
import dev.taskshared.publisher.BpfPublisher;
import dev.taskshared.publisher.Publisher;
import dev.taskshared.publisher.SamplingPublisher;

/** Chooses the publisher: the host publisher when one is installed and open to this process, its own BPF programs when it may load them, sampling otherwise; and says why. */
final class Publishers {
    private Publishers() {
    }

    /**
     * A running publisher of the requested mode ({@code null}: the best available), in the library's
     * order of preference, each time with the reason for not taking the better one: the host
     * publisher installed at {@code hostDir} (null: do not look for one), this JVM's own BPF programs
     * on {@code dataPath} (null: the best available) when it may load them, sampling otherwise.
     *
     * @throws UnsupportedOperationException when BPF is requested but cannot be used, with the
     *     kernel's reason (and the verifier's log, if it rejected a program) as the cause
     */
    static Publisher start(Mode requested, long sampleIntervalNanos, BpfPublisher.DataPath dataPath, java.nio.file.Path hostDir) {
        if (requested == Mode.SAMPLING) {
            return new SamplingPublisher(sampleIntervalNanos, "sampling requested");
        }
        String hostWhy;
        if (dataPath == BpfPublisher.DataPath.MAP_PAGES) {
            hostWhy = "the map-pages data path was requested (the host publisher uses task storage)";
        } else if (hostDir == null) {
            hostWhy = "not looked for (taskshared.hostPublisher=none)";
        } else {
            try {
                return HostPublisher.open(hostDir);
            } catch (RuntimeException | LinkageError e) {
                hostWhy = e.getMessage();
            }
        }
        try {
            BpfPublisher own = startBpf(dataPath);
            own.noteHostPublisher(hostWhy);
            return own;
        } catch (RuntimeException | LinkageError e) {
            String why = "host publisher: " + hostWhy + "; own programs: " + e.getMessage();
            if (requested == Mode.BPF) {
                throw new UnsupportedOperationException("BPF mode requested but unavailable: " + why, e);
            }
            return new SamplingPublisher(sampleIntervalNanos, "BPF unavailable: " + why);
        }
    }

    /**
     * The host publisher's directory from the system property {@code taskshared.hostPublisher}
     * (default {@link HostPins#DEFAULT_DIR}), or null when it is {@code none}.
     */
    static java.nio.file.Path hostPublisherFromProperty() {
        String v = System.getProperty("taskshared.hostPublisher", HostPins.DEFAULT_DIR.toString());
        if (v.equals("none")) {
            return null;
        }
        if (v.isBlank() || !v.startsWith("/")) {
            throw new IllegalArgumentException("taskshared.hostPublisher=" + v + ": expected an absolute directory or none");
        }
        return java.nio.file.Path.of(v);
    }

    /** The BPF publisher on {@code dataPath}, or on the best available one when null. */
    static BpfPublisher startBpf(BpfPublisher.DataPath dataPath) {
        return dataPath == null ? BpfPublisher.start() : BpfPublisher.start(dataPath);
    }

    /**
     * The data path forced by the system property {@code taskshared.dataPath} ({@code task_storage}
     * or {@code map_pages}), or null (the best available).
     */
    static BpfPublisher.DataPath dataPathFromProperty() {
        return dataPathNamed(System.getProperty("taskshared.dataPath", "auto"), "taskshared.dataPath");
    }

    /** The data path named {@code v} as {@code doctor --json} spells it; null for {@code auto} or null (the best available). */
    static BpfPublisher.DataPath dataPathNamed(String v, String what) {
        if (v == null || v.equals("auto")) {
            return null;
        }
        for (BpfPublisher.DataPath p : BpfPublisher.DataPath.values()) {
            if (p.jsonName().equals(v)) {
                return p;
            }
        }
        throw new IllegalArgumentException(what + "=" + v + ": expected auto, task_storage or map_pages");
    }
}
