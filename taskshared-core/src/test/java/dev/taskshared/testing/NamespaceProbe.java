package dev.taskshared.testing;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

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
        CountDownLatch done = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        List<ThreadStats> handles = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int burn = 2_000_000 * (i % 5 + 1);
            Thread t = Thread.ofPlatform().start(() -> {
                ThreadStats me = TaskShared.current();
                synchronized (handles) {
                    handles.add(me);
                }
                for (int k = 0; k < 5; k++) {
                    Work.burnCpu(burn);
                    Work.sleep(2);
                }
                done.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.add(t);
        }
        done.await();
        Thread.sleep(50);
        int checked = 0;
        StatsSnapshot s = new StatsSnapshot();
        for (ThreadStats h : handles) {
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
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
        ts.close();
    }
}
