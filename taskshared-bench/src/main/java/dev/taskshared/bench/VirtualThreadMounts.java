package dev.taskshared.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Level;
import dev.taskshared.TaskShared;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of virtual-thread mounts and unmounts, run by {@link VirtualThreadCost} in forks with
 * and without the taskshared agent (not named *Benchmark: {@code taskshared bench} does not run
 * it, since it needs the agent jar). Each invocation starts virtual threads that do
 * {@value #OPS} operations, so thread start and join are amortised over them.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VirtualThreadMounts {
    static final int OPS = 2000;

    /**
     * {@code none}: no taskshared in this JVM; {@code bpf}: the BPF publisher attached and the
     * carrier registered (what the agent needs anyway), so that, with the agent, the difference
     * to {@code bpf} is the cost of the mount hooks alone, and {@code bpf} to {@code none} the
     * publisher's (its sched_switch programs run at every context switch of the carrier).
     */
    @Param({"none", "bpf"})
    public String publisher;

    @Setup(Level.Trial)
    public void start() {
        if (publisher.equals("bpf")) {
            TaskShared.get();
        }
    }

    /** On a virtual thread: registers its carrier (once per carrier) when the publisher runs. */
    private void registerCarrier() {
        if (publisher.equals("bpf")) {
            TaskShared.current();
        }
    }

    /** One Thread.yield() on a virtual thread: an unmount and a mount. */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public void yieldMountPair() throws InterruptedException {
        Thread.ofVirtual().start(() -> {
            registerCarrier();
            for (int i = 0; i < OPS; i++) {
                Thread.yield();
            }
        }).join();
    }

    /**
     * One round trip of a token between two virtual threads that park until it comes back: two
     * unmounts and two mounts.
     */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public void pingPongRoundTrip() throws InterruptedException {
        int[] turn = {0};
        Thread[] pair = new Thread[2];
        Object lock = new Object();
        pair[1] = Thread.ofVirtual().unstarted(() -> {
            registerCarrier();
            for (int i = 0; i < OPS; i++) {
                while (turnOf(turn, lock) != 1) {
                    LockSupport.park();
                }
                setTurn(turn, lock, 0);
                LockSupport.unpark(pair[0]);
            }
        });
        pair[0] = Thread.ofVirtual().unstarted(() -> {
            for (int i = 0; i < OPS; i++) {
                setTurn(turn, lock, 1);
                LockSupport.unpark(pair[1]);
                while (turnOf(turn, lock) != 0) {
                    LockSupport.park();
                }
            }
        });
        pair[1].start();
        pair[0].start();
        pair[0].join();
        pair[1].join();
    }

    private static int turnOf(int[] turn, Object lock) {
        synchronized (lock) {
            return turn[0];
        }
    }

    private static void setTurn(int[] turn, Object lock, int value) {
        synchronized (lock) {
            turn[0] = value;
        }
    }
}
