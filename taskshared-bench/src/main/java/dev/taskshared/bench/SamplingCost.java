package dev.taskshared.bench;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * What sampling mode costs the JVM, by number of registered threads: the sampler thread's own
 * CPU time (its CLOCK_THREAD_CPUTIME_ID, the kernel's sum_exec_runtime) over wall time, and the
 * period it achieves (wall time / passes). Threads are idle (parked for good) or busy (each runs
 * ~5 us of CPU, then sleeps max(5 ms, threads x 100 us): every thread runs between any two
 * passes, since a pass over n threads takes longer than that at a 1% budget, while 5,000 busy
 * threads still leave the machine usable).
 *
 * <p>Usage: {@code SamplingCost [seconds per case] [threads...]}; prints one line per case.
 */
public final class SamplingCost {
    /** One case's figures. */
    public record Result(int threads, boolean busy, double samplerCpuPercent, double periodMillis, long passes,
                         double wallSeconds, long livePeriodNanos) {
        @Override
        public String toString() {
            return String.format("%5d %-4s  sampler CPU %6.3f%% of one core  period %9.2f ms  (%d passes in %.1f s, live period %.2f ms)",
                    threads, busy ? "busy" : "idle", samplerCpuPercent, periodMillis, passes, wallSeconds, livePeriodNanos / 1e6);
        }
    }

    private SamplingCost() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        int[] counts = args.length > 1 ? java.util.Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {10, 100, 1000, 5000};
        System.out.println("sampling cost, default interval 10 ms and budget 1% of one core, " + seconds + " s per case");
        for (boolean busy : new boolean[] {false, true}) {
            for (int n : counts) {
                System.out.println(measure(n, busy, Duration.ofMillis((long) (seconds * 1000)), Duration.ofMillis(10), 0.01));
            }
        }
    }

    /**
     * Registers {@code threads} threads in a sampling instance, lets it settle for one measurement
     * window or three passes, whichever is longer, then measures for {@code window} (and at least
     * three passes).
     */
    public static Result measure(int threads, boolean busy, Duration window, Duration interval, double budget) throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).sampleInterval(interval).sampleCpuBudget(budget).build()) {
            List<Thread> workers = new ArrayList<>();
            CountDownLatch registered = new CountDownLatch(threads);
            long wakeNanos = Math.max(5_000_000L, threads * 100_000L);
            for (int i = 0; i < threads; i++) {
                Thread t = Thread.ofPlatform().daemon().name("w" + i).start(() -> {
                    ts.currentThread();
                    registered.countDown();
                    while (!Thread.currentThread().isInterrupted()) {
                        if (busy) {
                            burnNanos(5_000);
                            LockSupport.parkNanos(wakeNanos);
                        } else {
                            LockSupport.park();
                        }
                    }
                });
                workers.add(t);
            }
            registered.await();
            int sampler = samplerTid();
            awaitPasses(ts, 3, window);
            long passes0 = ts.samplePasses();
            long cpu0 = Libc.threadCpuTimeNanos(sampler);
            long wall0 = System.nanoTime();
            long end = wall0 + window.toNanos();
            while (System.nanoTime() < end || ts.samplePasses() - passes0 < 3) {
                Thread.sleep(50);
            }
            long passes = ts.samplePasses() - passes0;
            long cpu = Libc.threadCpuTimeNanos(sampler) - cpu0;
            long wall = System.nanoTime() - wall0;
            long live = ts.samplePeriodNanos();
            for (Thread t : workers) {
                t.interrupt();
            }
            for (Thread t : workers) {
                t.join();
            }
            return new Result(threads, busy, 100.0 * cpu / wall, wall / 1e6 / passes, passes, wall / 1e9, live);
        }
    }

    private static void awaitPasses(TaskShared ts, int n, Duration atLeast) throws InterruptedException {
        long p0 = ts.samplePasses();
        long end = System.nanoTime() + atLeast.toNanos();
        while (System.nanoTime() < end || ts.samplePasses() - p0 < n) {
            Thread.sleep(50);
        }
    }

    private static void burnNanos(long nanos) {
        long end = Libc.threadCpuTimeNanos() + nanos;
        while (Libc.threadCpuTimeNanos() < end) {
            Thread.onSpinWait();
        }
    }

    /** The kernel id of this JVM's sampler thread (its comm is "taskshared-samp", 15 bytes of the name). */
    public static int samplerTid() throws IOException {
        return HousekeepingCost.threadNamed("taskshared-samp");
    }
}
