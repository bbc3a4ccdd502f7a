package dev.taskshared.host;

/** The installed host publisher writes something this library cannot read; the message says what. */
public final class IncompatibleHostException extends RuntimeException {
    public IncompatibleHostException(String message) {
        super(message);
    }
}
