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
     * @throws UnsupportedOperationException when BPF is requested but cannot be used, with the reason
     */
    public static Publisher start(Mode requested, long sampleIntervalNanos) {
        if (requested == Mode.SAMPLING) {
            return new SamplingPublisher(sampleIntervalNanos, "sampling requested");
        }
        String whyNotBpf = "the BPF publisher is not part of this build yet";
        if (requested == Mode.BPF) {
            throw new UnsupportedOperationException("BPF mode requested but unavailable: " + whyNotBpf);
        }
        return new SamplingPublisher(sampleIntervalNanos, whyNotBpf);
    }
}
