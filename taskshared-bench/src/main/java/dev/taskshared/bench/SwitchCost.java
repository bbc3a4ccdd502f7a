package dev.taskshared.bench;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.bpf.BpfStats;
import dev.taskshared.bpf.ProgramInfo;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * What the BPF publisher's sched_switch program costs per run, from the kernel's own run-time
 * statistics (BPF_ENABLE_STATS: run_time_ns / run_cnt). Two phases of the same length: the
 * program attached but nobody registered (every run is a miss: one hash lookup), then two
 * registered threads handing a token back and forth (every run touches a registered thread).
 * The statistics add their own ~20-30 ns per run, which these figures include.
 */
public final class SwitchCost {

    /** Mean nanoseconds per run and runs counted, per phase. */
    public record Result(double missNanos, long missRuns, double registeredNanos, long registeredRuns) {
    }

    private SwitchCost() {
    }

    public static Result measure(Duration phase) throws InterruptedException {
        try (BpfStats stats = BpfStats.enable();
             TaskShared ts = TaskShared.builder().mode(Mode.BPF).build()) {
            ProgramInfo before = ts.bpfProgramInfo().get("ts_switch");
            pingPong(ts, phase, false);
            ProgramInfo mid = ts.bpfProgramInfo().get("ts_switch");
            pingPong(ts, phase, true);
            ProgramInfo after = ts.bpfProgramInfo().get("ts_switch");
            long missRuns = mid.runCount() - before.runCount();
            long regRuns = after.runCount() - mid.runCount();
            return new Result((double) (mid.runTimeNs() - before.runTimeNs()) / missRuns, missRuns,
                    (double) (after.runTimeNs() - mid.runTimeNs()) / regRuns, regRuns);
        }
    }

    private static void pingPong(TaskShared ts, Duration d, boolean register) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        Thread[] pair = new Thread[2];
        int[] turn = new int[1];
        Object lock = new Object();
        for (int i = 0; i < 2; i++) {
            int me = i;
            pair[i] = Thread.ofPlatform().unstarted(() -> {
                if (register) {
                    ts.currentThread();
                }
                while (System.nanoTime() < end) {
                    synchronized (lock) {
                        while (turn[0] != me && System.nanoTime() < end) {
                            try {
                                lock.wait(1);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                        turn[0] = 1 - me;
                        lock.notifyAll();
                    }
                }
            });
        }
        for (Thread t : pair) {
            t.start();
        }
        for (Thread t : pair) {
            t.join();
        }
        LockSupport.parkNanos(1_000_000);
    }
}
