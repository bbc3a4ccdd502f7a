package dev.taskshared.publisher;

import dev.taskshared.Mode;

/** Chooses the publisher: BPF when the process may use it, sampling otherwise, and says why. */
public final class Publishers {
    private Publishers() {
    }

    /**
     * A running publisher of the requested mode, or of the best available one when
     * {@code requested} is null.
     *
     * @throws UnsupportedOperationException when BPF is requested but cannot be used, with the
     *     kernel's reason (and the verifier's log, if it rejected a program) as the cause
     */
    public static Publisher start(Mode requested, long sampleIntervalNanos) {
        return start(requested, sampleIntervalNanos, dataPathFromProperty());
    }

    /** Like {@link #start(Mode, long)} with a BPF data path forced ({@code null}: the best available). */
    public static Publisher start(Mode requested, long sampleIntervalNanos, BpfPublisher.DataPath dataPath) {
        if (requested == Mode.SAMPLING) {
            return new SamplingPublisher(sampleIntervalNanos, "sampling requested");
        }
        try {
            return startBpf(dataPath);
        } catch (RuntimeException | LinkageError e) {
            String why = e.getMessage();
            if (requested == Mode.BPF) {
                throw new UnsupportedOperationException("BPF mode requested but unavailable: " + why, e);
            }
            return new SamplingPublisher(sampleIntervalNanos, "BPF unavailable: " + why);
        }
    }

    /** The BPF publisher on {@code dataPath}, or on the best available one when null. */
    public static BpfPublisher startBpf(BpfPublisher.DataPath dataPath) {
        return dataPath == null ? BpfPublisher.start() : BpfPublisher.start(dataPath);
    }

    /**
     * The data path forced by the system property {@code taskshared.dataPath} ({@code task_storage}
     * or {@code map_pages}), or null (the best available).
     */
    public static BpfPublisher.DataPath dataPathFromProperty() {
        String v = System.getProperty("taskshared.dataPath", "auto");
        for (BpfPublisher.DataPath p : BpfPublisher.DataPath.values()) {
            if (p.jsonName().equals(v)) {
                return p;
            }
        }
        if (!v.equals("auto")) {
            throw new IllegalArgumentException("taskshared.dataPath=" + v + ": expected auto, task_storage or map_pages");
        }
        return null;
    }
}
