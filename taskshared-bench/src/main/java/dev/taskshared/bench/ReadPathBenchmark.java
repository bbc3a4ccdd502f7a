package dev.taskshared.bench;

import dev.taskshared.Interval;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The read path next to the JDK's and /proc's ways of getting the same numbers. One state per
 * benchmark thread: the thread registers once in setup, as an application thread would.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReadPathBenchmark {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private ThreadStats me;
    private Interval interval;
    private final StatsSnapshot snapshot = new StatsSnapshot();
    private Path schedstat;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(256);
    private long plain;

    @Setup(Level.Trial)
    public void register() {
        me = TaskShared.current();
        interval = me.newInterval();
        schedstat = Path.of("/proc/self/task/" + me.tid() + "/schedstat");
        plain = System.nanoTime();
    }

    @TearDown(Level.Trial)
    public void release() {
        me.release();
    }

    /** A consistent snapshot of the current thread's slot through the public API. */
    @Benchmark
    public StatsSnapshot read_own_stats() {
        return me.snapshot(snapshot);
    }

    /** The library's current CPU (rseq). */
    @Benchmark
    public int current_cpu() {
        return me.cpu();
    }

    /** Exact CPU time now: loads in BPF mode, clock_gettime in sampling mode. */
    @Benchmark
    public long cpu_time_now() {
        return me.cpuTimeNowNanos();
    }

    /** start + stop of an Interval. */
    @Benchmark
    public Interval interval() {
        return interval.start().stop();
    }

    @Benchmark
    public long mxbean_cpu_time() {
        return MX.getCurrentThreadCpuTime();
    }

    @Benchmark
    public long clock_thread_cputime() {
        return Libc.threadCpuTimeNanos();
    }

    /** Read and parse /proc/self/task/&lt;tid&gt;/schedstat, as code without the library does. */
    @Benchmark
    public long proc_schedstat() throws IOException {
        try (FileChannel ch = FileChannel.open(schedstat, StandardOpenOption.READ)) {
            buf.clear();
            ch.read(buf);
            buf.flip();
            long sum = 0;
            long v = 0;
            while (buf.hasRemaining()) {
                byte b = buf.get();
                if (b >= '0' && b <= '9') {
                    v = v * 10 + (b - '0');
                } else {
                    sum += v;
                    v = 0;
                }
            }
            return sum;
        }
    }

    @Benchmark
    public long nano_time() {
        return System.nanoTime();
    }

    /** A plain field load: the floor of one number. */
    @Benchmark
    public long plain_load() {
        return plain;
    }

    /** One number through the public API: {@code runDelayNanos()}, a load plus the handle's checks. */
    @Benchmark
    public long read_one_field() {
        return me.runDelayNanos();
    }

    /**
     * The physical floor of read_own_stats: the same twelve fields copied from native memory with
     * plain loads, no sequence counter, no checks.
     */
    @Benchmark
    public PlainCopy plain_copy() {
        return copy.from(raw);
    }

    /** Twelve fields, as a snapshot holds them. */
    public static final class PlainCopy {
        long a, b, c, d, e, f, g, h, i, j, k, l;

        PlainCopy from(java.lang.foreign.MemorySegment s) {
            a = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
            b = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8);
            c = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 16);
            d = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 24);
            e = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 32);
            f = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 40);
            g = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 48);
            h = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 56);
            i = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 64);
            j = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 72);
            k = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 80);
            l = s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 88);
            return this;
        }
    }

    private final PlainCopy copy = new PlainCopy();
    private final java.lang.foreign.MemorySegment raw = java.lang.foreign.Arena.ofAuto().allocate(128, 128);
}
