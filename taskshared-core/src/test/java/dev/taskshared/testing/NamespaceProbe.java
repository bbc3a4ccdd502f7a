package dev.taskshared.testing;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;

/**
 * Run in a child JVM (inside a PID namespace by {@code PidNamespaceTest}): registers 30 threads
 * that burn CPU and sleep, then compares every slot with the thread's own /proc/&lt;tid&gt;/schedstat
 * and /proc/&lt;tid&gt;/status while they are blocked. Prints {@code data_path <path>}, one
 * {@code MISMATCH ...} line per disagreement, and {@code checked <n>}.
 */
public final class NamespaceProbe {
    private NamespaceProbe() {
    }

    public static void main(String[] args) throws Exception {
        TaskShared ts = TaskShared.get();
        System.out.println("data_path " + ts.dataPath());
        System.out.println("mode " + ts.mode() + " " + ts.modeDescription());
        int n = 30;
        BlockedWorkers workers = BlockedWorkers.start(n, TaskShared::current);
        int checked = 0;
        StatsSnapshot s = new StatsSnapshot();
        for (ThreadStats h : workers.handles()) {
            h.snapshot(s);
            long[] k = Kernel.schedstat(h.tid());
            long[] sw = Kernel.switches(h.tid());
            boolean sumOk = Math.abs(s.sumExecRuntimeNanos() - k[0]) <= k[0] / 100 + 2_000_000;
            boolean delayOk = Math.abs(s.runDelayNanos() - k[1]) <= k[1] / 100 + 2_000_000;
            boolean pcountOk = Math.abs(s.pcount() - k[2]) <= 3;
            boolean switchesOk = s.nvcsw() <= sw[0] && s.nvcsw() >= 5 && s.onCpuSinceNanos() == 0; // 5 sleeps since registration
            if (!(sumOk && delayOk && pcountOk && switchesOk)) {
                System.out.println("MISMATCH tid " + h.tid() + ": slot " + s + " vs schedstat " + k[0] + " " + k[1] + " " + k[2]
                        + " status nvcsw " + sw[0]);
            }
            checked++;
        }
        System.out.println("checked " + checked);
        workers.close();
        ts.close();
    }
}
