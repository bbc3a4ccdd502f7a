package dev.taskshared.bench;

import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Read and registration cost with 1, 100 and 10,000 registered threads. */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScalingBenchmark {

    @Param({"1", "100", "10000"})
    public int registered;

    private final List<Thread> others = new ArrayList<>();
    private final CountDownLatch stop = new CountDownLatch(1);

    @Setup(Level.Trial)
    public void registerOthers() throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(registered - 1);
        for (int i = 1; i < registered; i++) {
            others.add(Thread.ofPlatform().daemon().stackSize(64 * 1024).start(() -> {
                ThreadStats me = TaskShared.current();
                ready.countDown();
                try {
                    stop.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                me.release();
            }));
        }
        ready.await();
    }

    @TearDown(Level.Trial)
    public void stopOthers() throws InterruptedException {
        stop.countDown();
        for (Thread t : others) {
            t.join();
        }
    }

    /** Per benchmark thread: its handle. */
    @State(Scope.Thread)
    public static class Reader {
        ThreadStats me;
        final StatsSnapshot snapshot = new StatsSnapshot();

        @Setup(Level.Trial)
        public void register() {
            me = TaskShared.current();
        }
    }

    @Benchmark
    @BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
    public StatsSnapshot read(Reader r) {
        return r.me.snapshot(r.snapshot);
    }

    /** Register + release of the benchmark thread; SampleTime gives the p99. */
    @Benchmark
    @BenchmarkMode(org.openjdk.jmh.annotations.Mode.SampleTime)
    public int registration() {
        ThreadStats me = TaskShared.current();
        int tid = me.tid();
        me.release();
        return tid;
    }
}
