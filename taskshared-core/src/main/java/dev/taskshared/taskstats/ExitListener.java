package dev.taskshared.taskstats;

/**
 * Receives exit records from an {@link ExitMonitor}. Both methods run on the monitor's receiver
 * thread, one call at a time: keep them short (a slow listener makes the socket buffer overflow,
 * which is then reported through {@link #onOverrun}). An exception thrown here is counted
 * ({@link ExitMonitor#listenerFailures()}) and does not stop delivery.
 */
@FunctionalInterface
public interface ExitListener {
    /** A task exited on one of the registration's CPUs. */
    void onExit(ExitRecord record);

    /** Records for one of the registration's CPUs were lost. Loss is never silent: the default does nothing, but the monitor counts it too. */
    default void onOverrun(Overrun overrun) {
    }
}
