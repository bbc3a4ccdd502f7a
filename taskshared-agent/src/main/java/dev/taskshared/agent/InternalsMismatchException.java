package dev.taskshared.agent;

/** The JDK's {@code java.lang.VirtualThread} is not shaped as the instrumentation expects: nothing is changed. */
public final class InternalsMismatchException extends Exception {
    private static final long serialVersionUID = 1L;

    public InternalsMismatchException(String message) {
        super(message);
    }
}
