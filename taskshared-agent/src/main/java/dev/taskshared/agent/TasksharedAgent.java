package dev.taskshared.agent;

import dev.taskshared.TaskShared;
import dev.taskshared.agent.bridge.MountHooks;
import dev.taskshared.vthread.MountAccounting;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Set;

/**
 * {@code -javaagent:taskshared-agent.jar}: measures every virtual thread's CPU, off-CPU and
 * run-queue time ({@link dev.taskshared.vthread.VirtualThreads}) by instrumenting
 * {@code java.lang.VirtualThread.mount()/unmount()}.
 *
 * <p>At start (premain, before any virtual thread runs): checks that the JVM can retransform
 * {@code java.lang.VirtualThread}, that the bridge jar is on the boot class path, and that the
 * class has the expected shape (a dry run of the instrumenter on the class file); starts
 * taskshared's default instance (BPF mode is required); then instruments. Any failed check
 * leaves the JDK unchanged and prints one line, {@code taskshared-agent: virtual threads are not
 * measured: <reason>}; the application runs as without the agent. {@code -Dtaskshared.agent.verbose=true}
 * prints a line on success too.
 */
public final class TasksharedAgent {
    static final String BRIDGE_CLASS = "dev.taskshared.agent.bridge.MountHooks";

    private TasksharedAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        String refusal;
        try {
            refusal = install(inst);
        } catch (Throwable t) {
            refusal = "unexpected error: " + t;
        }
        if (refusal != null) {
            MountAccounting.refuse(refusal);
            System.err.println("taskshared-agent: virtual threads are not measured: " + refusal);
        } else if (Boolean.getBoolean("taskshared.agent.verbose")) {
            System.err.println("taskshared-agent: virtual threads are measured at every mount and unmount");
        }
    }

    /** Returns null when instrumented, else the reason nothing was changed. */
    static String install(Instrumentation inst) throws Exception {
        Class<?> vthread;
        try {
            vthread = Class.forName("java.lang.VirtualThread");
        } catch (ClassNotFoundException e) {
            return "this JDK (" + Runtime.version() + ") has no java.lang.VirtualThread";
        }
        if (!inst.isRetransformClassesSupported() || !inst.isModifiableClass(vthread)) {
            return "the JVM cannot retransform java.lang.VirtualThread (Can-Retransform-Classes missing from the manifest, or the class is not modifiable)";
        }
        Class<?> bridge;
        try {
            bridge = Class.forName(BRIDGE_CLASS, true, null);
        } catch (ClassNotFoundException e) {
            return "the bridge jar is not on the boot class path: expected the agent's Boot-Class-Path jar "
                    + "(taskshared-agent-<version>-bridge.jar) next to the agent jar";
        }
        // Dry run on the class file as stored, so that a mismatch is reported before anything starts.
        try (InputStream in = ClassLoader.getSystemResourceAsStream(VirtualThreadInstrumenter.CLASS + ".class")) {
            if (in == null) {
                return "cannot read " + VirtualThreadInstrumenter.CLASS + ".class";
            }
            VirtualThreadInstrumenter.instrument(in.readAllBytes());
        } catch (InternalsMismatchException e) {
            return e.getMessage();
        } catch (IOException e) {
            return "cannot read " + VirtualThreadInstrumenter.CLASS + ".class: " + e;
        }
        String notActive = MountAccounting.activate(TaskShared.get());
        if (notActive != null) {
            return notActive;
        }
        // java.base reads no unnamed module: let VirtualThread link against the bridge.
        inst.redefineModule(Object.class.getModule(), Set.of(bridge.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
        MountHooks.install(new AccountingHooks());
        VirtualThreadTransformer transformer = new VirtualThreadTransformer();
        inst.addTransformer(transformer, true);
        try {
            inst.retransformClasses(vthread);
        } catch (Throwable t) {
            MountHooks.install(null);
            MountAccounting.deactivate("retransformation failed: " + t);
            return "retransformation of java.lang.VirtualThread failed: " + t;
        } finally {
            inst.removeTransformer(transformer);
        }
        if (!transformer.applied()) {
            MountHooks.install(null);
            String why = transformer.refusal() != null ? transformer.refusal() : "the transformer did not see java.lang.VirtualThread";
            MountAccounting.deactivate(why);
            return why;
        }
        return null;
    }
}
