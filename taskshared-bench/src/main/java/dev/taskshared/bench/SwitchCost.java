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
import dev.taskshared.sys.Libc;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * What the BPF publisher's sched_switch program costs per run, from the kernel's own run-time
 * statistics (BPF_ENABLE_STATS: run_time_ns / run_cnt), beside an empty program attached to the
 * same tracepoint and measured over the same phase (the floor: the statistics' own ~20-40 ns and
 * the call). Two kinds of phase, both two threads on one CPU handing a token back and forth:
 * unregistered (every run is a miss), and registered (every run touches a registered thread); {@code rounds}
 * pairs of them, alternating, so that a change in the machine during the measurement falls on
 * both kinds alike. Each kind is reported as the floor plus the median, over its phases, of its
 * excess over the empty program in the same phase: the excess is what two runs reproduce.
 */
public final class SwitchCost {

    /**
     * Nanoseconds per run (floor + median excess) and runs counted, per kind of phase, and the
     * empty program's median per phase.
     */
    public record Result(double missNanos, long missRuns, double registeredNanos, long registeredRuns, double emptyNanos,
                         String dataPath) {
    }

    private SwitchCost() {
    }

    public static Result measure(Duration phase, int rounds) throws InterruptedException {
        Btf btf = Btf.vmlinux();
        Asm empty = new Asm().mov(Reg.R0, 0).exit();
        try (BpfStats stats = BpfStats.enable();
             TaskShared ts = TaskShared.builder().mode(Mode.BPF).build();
             BpfProgram floor = BpfProgram.load(ProgramSpec.of(ProgramType.TRACING, empty.build())
                     .withAttach(AttachType.TRACE_RAW_TP, btf.rawTracepointTypeId("sched_switch")).named("ts_empty"));
             BpfLink link = BpfLink.tracing(floor)) {
            double[] floors = new double[2 * rounds];
            double[][] excess = new double[2][rounds];
            long[] runs = new long[2];
            for (int round = 0; round < rounds; round++) {
                for (int kind = 0; kind < 2; kind++) { // 0: nobody registered, 1: registered threads
                    ProgramInfo emptyBefore = floor.info();
                    BpfProgramStats before = ts.bpfProgramInfo().get("ts_switch");
                    pingPong(ts, phase, kind == 1);
                    BpfProgramStats after = ts.bpfProgramInfo().get("ts_switch");
                    ProgramInfo emptyAfter = floor.info();
                    long n = after.runCount() - before.runCount();
                    double perRun = (double) (after.runTimeNanos() - before.runTimeNanos()) / n;
                    double floorPerRun = (double) (emptyAfter.runTimeNs() - emptyBefore.runTimeNs())
                            / (emptyAfter.runCount() - emptyBefore.runCount());
                    floors[2 * round + kind] = floorPerRun;
                    excess[kind][round] = perRun - floorPerRun;
                    runs[kind] += n;
                }
            }
            double floorNanos = median(floors);
            return new Result(floorNanos + median(excess[0]), runs[0], floorNanos + median(excess[1]), runs[1], floorNanos,
                    ts.dataPath());
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    private static void pingPong(TaskShared ts, Duration d, boolean register) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        int[] allowed = Libc.getAffinity(0);
        int cpu = allowed[allowed.length - 1]; // both on one CPU: the same switches in every phase, no cross-CPU cache traffic
        Thread[] pair = new Thread[2];
        int[] turn = new int[1];
        Object lock = new Object();
        for (int i = 0; i < 2; i++) {
            int me = i;
            pair[i] = Thread.ofPlatform().unstarted(() -> {
                Libc.setAffinity(0, cpu);
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
