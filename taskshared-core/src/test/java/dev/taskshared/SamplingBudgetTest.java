package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.sys.Libc;
import dev.taskshared.testing.Kernel;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The sampler keeps within its CPU budget whatever the number of threads, and says what period
 * that costs. The sampler thread's CPU time is taken from the kernel (/proc/self/task/&lt;tid&gt;/schedstat)
 * over wall time. Tolerance: the budget is 1% of one core; the share must stay under 2% (the
 * budget plus 100%: the sampler sets each period from the cycle before it, and the machine is
 * shared, so single cycles vary).
 */
class SamplingBudgetTest {

    @Test
    void twoThousandIdleThreadsCostAtMostTheBudgetAndThePeriodGrowsInstead() throws Exception {
        int n = 2000;
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).sampleInterval(Duration.ofMillis(10)).sampleCpuBudget(0.01).build()) {
            assertThat(ts.sampleCpuBudget()).isEqualTo(0.01);
            List<Thread> threads = new ArrayList<>();
            CountDownLatch registered = new CountDownLatch(n);
            try {
                for (int i = 0; i < n; i++) {
                    threads.add(Thread.ofPlatform().daemon().start(() -> {
                        ts.currentThread();
                        registered.countDown();
                        while (!Thread.currentThread().isInterrupted()) {
                            LockSupport.park();
                        }
                    }));
                }
                registered.await();
                assertThat(ts.registeredThreads()).isGreaterThanOrEqualTo(n);
                int sampler = samplerTid();
                awaitPasses(ts, 3); // warm: the first passes run interpreted code
                long passes0 = ts.samplePasses();
                long cpu0 = Kernel.schedstat(sampler)[0];
                long wall0 = System.nanoTime();
                // The live period follows each cycle's cost: note it at every pass, to compare its mean with the achieved period.
                double livePeriodSum = 0;
                int livePeriods = 0;
                for (long seen = passes0; System.nanoTime() - wall0 < 6_000_000_000L; ) {
                    Thread.sleep(20);
                    if (ts.samplePasses() != seen) {
                        seen = ts.samplePasses();
                        livePeriodSum += ts.samplePeriodNanos();
                        livePeriods++;
                    }
                }
                awaitPasses(ts, 1);
                long cpu = Kernel.schedstat(sampler)[0] - cpu0;
                long wall = System.nanoTime() - wall0;
                long passes = ts.samplePasses() - passes0;
                double share = (double) cpu / wall;
                double achievedPeriodNanos = (double) wall / passes;
                assertThat(share).as("sampler's share of one core (kernel's count), budget 1%%").isLessThan(0.02);
                assertThat(passes).as("passes in %d ms", wall / 1_000_000).isGreaterThanOrEqualTo(2);
                assertThat(ts.samplePeriodNanos()).as("the live period grew past the 10 ms interval").isGreaterThan(10_000_000L);
                // the live period says how old values may be: over the window it is the achieved one, within 50%
                assertThat(livePeriods).isPositive();
                assertThat(livePeriodSum / livePeriods).as("mean live period over %d passes", livePeriods)
                        .isBetween(achievedPeriodNanos / 1.5, achievedPeriodNanos * 1.5);
                assertThat(ts.modeDescription()).contains("within 1% of one core");
            } finally {
                threads.forEach(Thread::interrupt);
                for (Thread t : threads) {
                    t.join();
                }
            }
        }
    }

    @Test
    void aThreadThatKeepsRunningIsFollowed() throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).sampleInterval(Duration.ofMillis(5)).build()) {
            ThreadStats[] h = new ThreadStats[1];
            CountDownLatch started = new CountDownLatch(1);
            stopSpinning = false;
            Thread spinner = Thread.ofPlatform().start(() -> {
                h[0] = ts.currentThread();
                started.countDown();
                while (!stopSpinning) {
                    Thread.onSpinWait();
                }
            });
            started.await();
            try {
                long first = h[0].sumExecRuntimeNanos();
                long passes = ts.samplePasses();
                while (ts.samplePasses() < passes + 3) {
                    Thread.sleep(5);
                }
                long later = h[0].sumExecRuntimeNanos();
                long kernel = Kernel.schedstat(h[0].tid())[0];
                assertThat(later).as("sum_exec_runtime follows a running thread").isGreaterThan(first).isLessThanOrEqualTo(kernel);
            } finally {
                stopSpinning = true;
                spinner.join();
            }
        }
    }

    private static volatile boolean stopSpinning;

    private static void awaitPasses(TaskShared ts, int n) throws InterruptedException {
        long p0 = ts.samplePasses();
        while (ts.samplePasses() < p0 + n) {
            Thread.sleep(20);
        }
    }

    /** The kernel id of the only live sampler thread of this JVM (comm "taskshared-samp"). */
    static int samplerTid() throws IOException {
        List<Integer> found = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc/" + Libc.getpid() + "/task"))) {
            for (Path t : d) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals("taskshared-samp")) {
                        found.add(Integer.parseInt(t.getFileName().toString()));
                    }
                } catch (NoSuchFileException exited) {
                    // ended while we listed
                }
            }
        }
        assertThat(found).as("sampler threads").hasSize(1);
        return found.get(0);
    }
}
