package dev.taskshared.testing;

import dev.taskshared.sys.Libc;

/** Workloads with known behaviour, for tests that compare the library with the kernel. */
public final class Work {
    private Work() {
    }

    /** Burns {@code nanos} of the calling thread's CPU time (not wall time: the machine is shared). */
    public static void burnCpu(long nanos) {
        long end = Libc.threadCpuTimeNanos() + nanos;
        while (Libc.threadCpuTimeNanos() < end) {
            Thread.onSpinWait();
        }
    }

    /** Sleeps (blocks off CPU) for {@code millis}; an interrupt ends it early and is kept. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
