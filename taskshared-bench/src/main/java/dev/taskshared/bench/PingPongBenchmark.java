package dev.taskshared.bench;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.sys.Libc;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Two threads hand a token back and forth, each blocking until it comes back: a
 * wakeup and a context switch each way. With {@code cpus=one} both run on one CPU, so no idle
 * state or cross-CPU wakeup lies in between (on
 * this VM those vary by tens of microseconds and drown the difference). {@code published}
 * attaches the BPF publisher with both threads registered, so the difference is what the
 * scheduler programs cost per round trip.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PingPongBenchmark {

    @Param({"plain", "published"})
    public String publisher;

    /** {@code one}: both threads on the first allowed CPU; {@code two}: wherever the scheduler puts them. */
    @Param({"one", "two"})
    public String cpus;

    private TaskShared ts;
    private Thread partner;
    private Thread self;
    private volatile int turn; // 0: the benchmark thread holds the token, 1: the partner
    private volatile boolean running = true;

    private int[] affinity;

    @Setup(Level.Trial)
    public void start() {
        self = Thread.currentThread();
        affinity = Libc.getAffinity(0);
        boolean pin = cpus.equals("one");
        if (pin) {
            Libc.setAffinity(0, affinity[0]);
        }
        if (publisher.equals("published")) {
            ts = TaskShared.builder().mode(Mode.BPF).build();
            ts.currentThread();
        }
        int cpu = affinity[0];
        partner = Thread.ofPlatform().daemon().name("pong").start(() -> {
            if (pin) {
                Libc.setAffinity(0, cpu);
            }
            if (ts != null) {
                ts.currentThread();
            }
            while (running) {
                while (turn != 1 && running) {
                    LockSupport.park(this);
                }
                turn = 0;
                LockSupport.unpark(self);
            }
        });
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        running = false;
        LockSupport.unpark(partner);
        partner.join();
        if (ts != null) {
            ts.close();
        }
        Libc.setAffinity(0, affinity);
    }

    /** One round trip. */
    @Benchmark
    public int round_trip() {
        turn = 1;
        LockSupport.unpark(partner);
        while (turn != 0) {
            LockSupport.park(this);
        }
        return turn;
    }
}
