package dev.taskshared.region;

import dev.taskshared.Feature;
import dev.taskshared.Mode;

/**
 * A validated region header.
 *
 * @param structSize bytes of each slot the writer defines
 * @param publisherKind {@link Mode#code()} of the writer's publisher
 * @param features the writer's feature words, continuation bits removed
 */
public record HeaderInfo(int abiMajor, int abiMinor, int structSize, int publisherKind, int ownerPid,
                         long createdAtNanos, long sampleIntervalNanos, long[] features, int maxPages) {

    /** The writer's publisher, or null for an unknown kind written by a newer version. */
    public Mode mode() {
        return Mode.ofCode(publisherKind);
    }

    /** Whether the writer fills {@code f}. */
    public boolean writes(Feature f) {
        return (features[0] & f.mask()) != 0;
    }
}
