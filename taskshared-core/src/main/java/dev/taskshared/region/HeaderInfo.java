package dev.taskshared.region;

/**
 * A validated region header.
 *
 * @param structSize bytes of each slot the writer defines
 * @param publisherKind {@link PublisherKind#code()} of the writer's publisher
 * @param features the writer's feature words, continuation bits removed
 * @param sampleIntervalNanos the sampler's period when the header was read (it is live: see
 *     {@link RegionReader#samplePeriodNanos()})
 * @param ownerStartTicks the owner's start time, clock ticks after boot (/proc/&lt;pid&gt;/stat
 *     field 22), or 0 when the writer did not record it
 */
public record HeaderInfo(int abiMajor, int abiMinor, int structSize, int publisherKind, int ownerPid,
                         long createdAtNanos, long sampleIntervalNanos, long[] features, int maxPages, long ownerStartTicks) {

    /** The writer's publisher, or null for an unknown kind written by a newer version. */
    public PublisherKind kind() {
        return PublisherKind.ofCode(publisherKind);
    }
}
