package dev.taskshared;

/** A number was read that the live publisher (or the region's writer) does not provide. */
public final class UnsupportedFeatureException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    private final transient Feature feature;

    public UnsupportedFeatureException(Feature feature, String context) {
        super(feature + " is not provided by " + context);
        this.feature = feature;
    }

    public Feature feature() {
        return feature;
    }
}
