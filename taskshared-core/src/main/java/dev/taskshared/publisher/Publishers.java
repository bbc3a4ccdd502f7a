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
        if (requested == Mode.SAMPLING) {
            return new SamplingPublisher(sampleIntervalNanos, "sampling requested");
        }
        try {
            return BpfPublisher.start();
        } catch (RuntimeException | LinkageError e) {
            String why = e.getMessage();
            if (requested == Mode.BPF) {
                throw new UnsupportedOperationException("BPF mode requested but unavailable: " + why, e);
            }
            return new SamplingPublisher(sampleIntervalNanos, "BPF unavailable: " + why);
        }
    }
}
