package dev.taskshared.bench;

import dev.taskshared.BpfProgramStats;
import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.bpf.AttachType;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.BpfStats;
import dev.taskshared.bpf.ProgramInfo;
import dev.taskshared.bpf.ProgramSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.Reg;
import dev.taskshared.bpf.btf.Btf;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * What the BPF publisher's sched_switch program costs per run, from the kernel's own run-time
 * statistics (BPF_ENABLE_STATS: run_time_ns / run_cnt), beside an empty program attached to the
 * same tracepoint in the same run (the floor: the statistics' own ~20-40 ns and the call). Two
 * phases of the same length: nobody registered (every run is a miss), then two registered
 * threads handing a token back and forth (most runs touch a registered thread).
 */
public final class SwitchCost {

    /** Mean nanoseconds per run and runs counted, per phase, and the empty program's mean over both. */
    public record Result(double missNanos, long missRuns, double registeredNanos, long registeredRuns, double emptyNanos,
                         String dataPath) {
    }

    private SwitchCost() {
    }

    public static Result measure(Duration phase) throws InterruptedException {
        Btf btf = Btf.vmlinux();
        Asm empty = new Asm().mov(Reg.R0, 0).exit();
        try (BpfStats stats = BpfStats.enable();
             TaskShared ts = TaskShared.builder().mode(Mode.BPF).build();
             BpfProgram floor = BpfProgram.load(ProgramSpec.of(ProgramType.TRACING, empty.build())
                     .withAttach(AttachType.TRACE_RAW_TP, btf.rawTracepointTypeId("sched_switch")).named("ts_empty"));
             BpfLink link = BpfLink.tracing(floor)) {
            ProgramInfo emptyBefore = floor.info();
            BpfProgramStats before = ts.bpfProgramInfo().get("ts_switch");
            pingPong(ts, phase, false);
            BpfProgramStats mid = ts.bpfProgramInfo().get("ts_switch");
            pingPong(ts, phase, true);
            BpfProgramStats after = ts.bpfProgramInfo().get("ts_switch");
            ProgramInfo emptyAfter = floor.info();
            long missRuns = mid.runCount() - before.runCount();
            long regRuns = after.runCount() - mid.runCount();
            return new Result((double) (mid.runTimeNanos() - before.runTimeNanos()) / missRuns, missRuns,
                    (double) (after.runTimeNanos() - mid.runTimeNanos()) / regRuns, regRuns,
                    (double) (emptyAfter.runTimeNs() - emptyBefore.runTimeNs()) / (emptyAfter.runCount() - emptyBefore.runCount()),
                    ts.dataPath());
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
