package dev.taskshared.region;

/** A region file is foreign, corrupted or of an incompatible ABI; the message says which and where. */
public final class RegionFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RegionFormatException(String message) {
        super(message);
    }
}
