package dev.taskshared.region;

/**
 * The seed's negotiation: reader and writer each state a struct size and feature words; what is
 * used is the intersection, and a feature whose field lies beyond either struct is not used.
 */
public final class Negotiation {
    private Negotiation() {
    }

    /**
     * Word 0 of the features both sides support.
     *
     * @param readerWords features the reader understands (continuation bits ignored)
     * @param readerStructSize bytes of slot the reader knows
     * @param writerWords features the writer fills
     * @param writerStructSize bytes of slot the writer defines
     */
    public static long usable(long[] readerWords, int readerStructSize, long[] writerWords, int writerStructSize) {
        long common = readerWords[0] & writerWords[0] & ~RegionHeader.MORE_WORDS;
        int structSize = Math.min(readerStructSize, writerStructSize);
        long usable = 0;
        for (SlotFeature f : SlotFeature.values()) {
            if ((common & f.mask()) != 0 && f.end() <= structSize) {
                usable |= f.mask();
            }
        }
        return usable;
    }

    /** What this library version can use of a region described by {@code header}. */
    public static long usable(HeaderInfo header) {
        return usable(new long[] {SlotFeature.allKnown()}, SlotLayout.STRUCT_SIZE, header.features(), header.structSize());
    }
}
