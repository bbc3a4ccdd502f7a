package dev.taskshared.agent.bridge;

/**
 * The bridge between the instrumented {@code java.lang.VirtualThread} and the accounting. This
 * package is loaded by the boot loader (the agent jar's {@code Boot-Class-Path}), the only loader
 * whose classes a java.base class can call; the accounting itself is in the application's loader
 * and is reached through the one installed subclass. Nothing here throws into the JDK: every
 * error is caught and counted.
 *
 * <p>Cost: a volatile load and a monomorphic call per hook, inlined by the JIT.
 */
public abstract class MountHooks {
    private static volatile MountHooks installed;
    private static volatile long errors;
    private static volatile Throwable firstError;

    /** Installs (or with null, removes) the accounting. */
    public static void install(MountHooks hooks) {
        installed = hooks;
    }

    /** Errors caught from the accounting (0 in normal operation). */
    public static long errors() {
        return errors;
    }

    /** The first error caught, or null. */
    public static Throwable firstError() {
        return firstError;
    }

    /** Entry of {@code mount()}, carrier current. */
    protected abstract Object beforeMount(Thread vthread);

    /** Every return of {@code mount()}, virtual thread current. */
    protected abstract void afterMount(Object carrierToken);

    /** Entry of {@code unmount()}, virtual thread current. */
    protected abstract void beforeUnmount();

    // ---- called by the instrumented java.lang.VirtualThread (names and descriptors are the
    // instrumenter's: VirtualThreadInstrumenter.MOUNT_ENTRY etc.)

    public static Object mountEntry(Thread vthread) {
        MountHooks h = installed;
        if (h == null) {
            return null;
        }
        try {
            return h.beforeMount(vthread);
        } catch (Throwable t) {
            caught(t);
            return null;
        }
    }

    public static void mountExit(Object carrierToken) {
        MountHooks h = installed;
        if (h == null) {
            return;
        }
        try {
            h.afterMount(carrierToken);
        } catch (Throwable t) {
            caught(t);
        }
    }

    public static void unmountEntry() {
        MountHooks h = installed;
        if (h == null) {
            return;
        }
        try {
            h.beforeUnmount();
        } catch (Throwable t) {
            caught(t);
        }
    }

    private static void caught(Throwable t) {
        if (firstError == null) {
            firstError = t;
        }
        errors++; // racy by design: a count of "some", never used for accounting
    }
}
