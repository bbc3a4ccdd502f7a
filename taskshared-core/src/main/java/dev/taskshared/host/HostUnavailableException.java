package dev.taskshared.host;

/** The host publisher cannot be used by this process; the message says why in words a user can act on. */
public final class HostUnavailableException extends RuntimeException {
    public HostUnavailableException(String message) {
        super(message);
    }

    public HostUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
