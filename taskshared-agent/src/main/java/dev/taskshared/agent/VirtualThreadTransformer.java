package dev.taskshared.agent;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;

/**
 * Applies {@link VirtualThreadInstrumenter} to {@code java.lang.VirtualThread} only. A mismatch
 * leaves the class unchanged (returns null) and is kept in {@link #refusal()}; nothing is thrown
 * into the JVM.
 */
final class VirtualThreadTransformer implements ClassFileTransformer {
    private volatile String refusal;
    private volatile boolean applied;

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                            ProtectionDomain domain, byte[] classFile) {
        if (!VirtualThreadInstrumenter.CLASS.equals(className) || loader != null) {
            return null;
        }
        try {
            byte[] out = VirtualThreadInstrumenter.instrument(classFile);
            applied = true;
            return out;
        } catch (InternalsMismatchException e) {
            refusal = e.getMessage();
            return null;
        } catch (Throwable t) {
            refusal = "instrumentation failed: " + t;
            return null;
        }
    }

    /** Why the class was left unchanged, or null. */
    String refusal() {
        return refusal;
    }

    boolean applied() {
        return applied;
    }
}
