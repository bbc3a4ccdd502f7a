package dev.taskshared.testing;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;

/**
 * Run in a child JVM by {@code DeploymentTest}, with the library on the class path or on the module
 * path: uses only the exported API, as an application does. Prints {@code module <name|unnamed>},
 * {@code mode <mode>}, then burns 30 ms of CPU and prints {@code check sum <slot> schedstat <kernel> ok|MISMATCH}.
 */
public final class DeploymentProbe {
    private DeploymentProbe() {
    }

    public static void main(String[] args) throws Exception {
        Module m = TaskShared.class.getModule();
        System.out.println("module " + (m.isNamed() ? m.getName() : "unnamed"));
        TaskShared ts = TaskShared.get();
        System.out.println("mode " + ts.mode());
        ThreadStats me = TaskShared.current();
        long end = System.nanoTime() + 30_000_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        Thread.sleep(5); // a switch-out, so that the slot holds the kernel's sum as of now
        StatsSnapshot s = me.snapshot(new StatsSnapshot());
        long kernel = Kernel.schedstat(me.tid())[0];
        boolean ok = Math.abs(s.sumExecRuntimeNanos() - kernel) <= kernel / 100 + 2_000_000 && s.sumExecRuntimeNanos() >= 25_000_000;
        System.out.println("check sum " + s.sumExecRuntimeNanos() + " schedstat " + kernel + (ok ? " ok" : " MISMATCH"));
    }
}
