package dev.taskshared.vthread;

import java.util.Optional;

/**
 * Per-virtual-thread CPU, off-CPU and run-queue time, which the JDK does not provide
 * ({@code ThreadMXBean.getCurrentThreadCpuTime()} returns -1 on a virtual thread). Needs the
 * taskshared agent ({@code -javaagent:taskshared-agent.jar}) and BPF mode: the agent observes
 * every mount and unmount and adds up the carrier's numbers while each virtual thread was mounted.
 *
 * <pre>{@code
 * if (VirtualThreads.isActive()) {
 *     VirtualThreadSnapshot s = VirtualThreads.current().snapshot(new VirtualThreadSnapshot());
 *     log(s.cpuNanos(), s.offCpuNanos(), s.runDelayNanos(), s.unmountedNanos());
 * }
 * }</pre>
 *
 * An {@link dev.taskshared.Interval} started on a virtual thread uses these numbers when the
 * agent is active, and stays valid across remounts on other carriers. Thread-safe.
 */
public final class VirtualThreads {
    private VirtualThreads() {
    }

    /** Whether the agent instruments virtual threads in this JVM and accounting runs. */
    public static boolean isActive() {
        return MountAccounting.isActive();
    }

    /** Why accounting is or is not active (agent missing, wrong mode, JDK internals differ, an error). */
    public static String status() {
        return MountAccounting.status();
    }

    /**
     * The calling virtual thread's totals.
     *
     * @throws IllegalStateException when the caller is not a virtual thread, or accounting is not active
     */
    public static VirtualThreadStats current() {
        VirtualThreadStats s = MountAccounting.currentStats();
        if (s == null || !Thread.currentThread().isVirtual()) {
            if (!Thread.currentThread().isVirtual()) {
                throw new IllegalStateException(Thread.currentThread() + " is not a virtual thread");
            }
            throw new IllegalStateException("no virtual-thread accounting: " + status());
        }
        return s;
    }

    /**
     * The totals of {@code thread}, from any thread; empty when it is not a virtual thread, has
     * not been mounted yet, or was mounted only while the agent was not active. A finished
     * thread's totals remain available while its Thread object is reachable.
     */
    public static Optional<VirtualThreadStats> of(Thread thread) {
        if (!thread.isVirtual()) {
            return Optional.empty();
        }
        if (thread == Thread.currentThread()) {
            return Optional.ofNullable(MountAccounting.currentStats());
        }
        return Optional.ofNullable(Published.of(thread));
    }
}
