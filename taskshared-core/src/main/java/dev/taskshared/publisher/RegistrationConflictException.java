package dev.taskshared.publisher;

/**
 * A thread could not be registered because another holder of the shared task-storage map
 * registered it already (its own process, usually) and this registration was asked not to take
 * the entry away. A monitor then reads the thread another way (its owner's region, or /proc).
 */
public final class RegistrationConflictException extends IllegalStateException {
    private final int tid;

    public RegistrationConflictException(int tid) {
        super("thread " + tid + " is registered by another holder of the host publisher's map (EEXIST); "
                + "its registration is left alone");
        this.tid = tid;
    }

    /** The thread. */
    public int tid() {
        return tid;
    }
}
