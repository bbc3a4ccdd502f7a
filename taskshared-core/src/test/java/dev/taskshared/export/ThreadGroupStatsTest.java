package dev.taskshared.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Per-group totals against the kernel, and the guarantee that they never go backwards when
 * threads die or are renamed. Tolerances: a group's CPU time and run-queue delay within the sum of
 * its blocked threads' /proc/&lt;tid&gt;/schedstat ± (1% + 2 ms) per thread (BPF); after threads
 * exit, the group's CPU time covers what schedstat said before they returned and at most 10 ms
 * more per thread (their teardown); in sampling mode (no exit events) it stays at least what the
 * group had.
 */
class ThreadGroupStatsTest {

    @Test
    void defaultGroupingStripsTheTrailingNumber() {
        ThreadGrouping g = ThreadGrouping.stripTrailingNumber();
        assertThat(g.groupOf("pool-1-thread-7")).isEqualTo("pool-1-thread");
        assertThat(g.groupOf("kv-worker-12")).isEqualTo("kv-worker");
        assertThat(g.groupOf("ForkJoinPool-1-worker-3")).isEqualTo("ForkJoinPool-1-worker");
        assertThat(g.groupOf("ForkJoinPool-1-")).as("a kernel comm cut at 15 characters").isEqualTo("ForkJoinPool");
        assertThat(g.groupOf("http-nio-8080-exec-10")).isEqualTo("http-nio-8080-exec");
        assertThat(g.groupOf("Thread-0")).isEqualTo("Thread");
        assertThat(g.groupOf("main")).isEqualTo("main");
        assertThat(g.groupOf("1234")).isEqualTo(ThreadGrouping.UNNAMED);
        ThreadGrouping p = ThreadGrouping.byPattern(Pattern.compile("(\\w+)-worker-\\d+"), "rest");
        assertThat(p.groupOf("io-worker-3")).isEqualTo("io");
        assertThat(p.groupOf("main")).isEqualTo("rest");
        assertThatThrownBy(() -> ThreadGrouping.byPattern(Pattern.compile("x"), "rest"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capturing group");
    }

    /** Threads that burn CPU, then block until released; optionally exit registered. */
    private static final class Crew implements AutoCloseable {
        final List<Thread> threads = new ArrayList<>();
        final Map<String, Integer> tids = new ConcurrentHashMap<>();
        final Map<String, Long> cpuAtEnd = new ConcurrentHashMap<>();
        final CountDownLatch ready;
        final CountDownLatch go = new CountDownLatch(1);

        Crew(TaskShared ts, List<String> names, long burnNanos) throws InterruptedException {
            ready = new CountDownLatch(names.size());
            for (String name : names) {
                threads.add(Thread.ofPlatform().name(name).start(() -> {
                    int tid = ts.currentThread().tid();
                    tids.put(name, tid);
                    Work.burnCpu(burnNanos);
                    ready.countDown();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    cpuAtEnd.put(name, Kernel.schedstat(tid)[0]);
                }));
            }
            ready.await();
        }

        /** Lets every thread return (they exit still registered) and waits for them. */
        @Override
        public void close() throws InterruptedException {
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    private static void assertNotBehind(Map<String, GroupTotals> before, Map<String, GroupTotals> after) {
        assertThat(after.keySet()).containsAll(before.keySet());
        before.forEach((g, b) -> {
            GroupTotals a = after.get(g);
            assertThat(a.cpuNanos()).as(g + " cpu").isGreaterThanOrEqualTo(b.cpuNanos());
            assertThat(a.offCpuNanos()).as(g + " off-cpu").isGreaterThanOrEqualTo(b.offCpuNanos());
            assertThat(a.runDelayNanos()).as(g + " run delay").isGreaterThanOrEqualTo(b.runDelayNanos());
            assertThat(a.voluntarySwitches()).as(g + " nvcsw").isGreaterThanOrEqualTo(b.voluntarySwitches());
            assertThat(a.involuntarySwitches()).as(g + " nivcsw").isGreaterThanOrEqualTo(b.involuntarySwitches());
            assertThat(a.migrations()).as(g + " migrations").isGreaterThanOrEqualTo(b.migrations());
        });
    }

    @Test
    void groupTotalsMatchTheKernelAndSurviveTheirThreads() throws Exception {
        try (TaskShared ts = Privileged.bpfTaskShared(); ThreadGroupStats stats = new ThreadGroupStats(ts)) {
            Map<String, GroupTotals> blocked;
            long[] kernelA = new long[2];
            long[] kernelB = new long[2];
            Crew crew = new Crew(ts, List.of("grp-a-1", "grp-a-2", "grp-b-1"), 20_000_000L);
            try {
                blocked = stats.refresh();
                crew.tids.forEach((name, tid) -> {
                    long[] k = Kernel.schedstat(tid);
                    long[] into = name.startsWith("grp-a") ? kernelA : kernelB;
                    into[0] += k[0];
                    into[1] += k[1];
                });
            } finally {
                crew.close();
            }
            GroupTotals a = blocked.get("grp-a");
            GroupTotals b = blocked.get("grp-b");
            assertThat(a.liveThreads()).isEqualTo(2);
            assertThat(b.liveThreads()).isEqualTo(1);
            long tolA = 2 * (kernelA[0] / 200 + 2_000_000L);
            assertThat(a.cpuNanos()).isBetween(kernelA[0] - tolA, kernelA[0] + tolA);
            assertThat(a.runDelayNanos()).isBetween(kernelA[1] - 2 * (kernelA[1] / 200 + 2_000_000L),
                    kernelA[1] + 2 * (kernelA[1] / 200 + 2_000_000L));
            long tolB = kernelB[0] / 100 + 2_000_000L;
            assertThat(b.cpuNanos()).isBetween(kernelB[0] - tolB, kernelB[0] + tolB);
            assertThat(a.offCpuNanos()).isPositive();

            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // BPF exit events free the slots
            }
            Thread.sleep(50);
            Map<String, GroupTotals> gone = stats.refresh();
            assertNotBehind(blocked, gone);
            assertThat(gone.get("grp-a").liveThreads()).isZero();
            long endA = crew.cpuAtEnd.get("grp-a-1") + crew.cpuAtEnd.get("grp-a-2");
            assertThat(gone.get("grp-a").cpuNanos()).as("final CPU of the dead threads")
                    .isBetween(endA, endA + 2 * 10_000_000L);
            assertNotBehind(gone, stats.refresh());
        }
    }

    @Test
    void samplingModeKeepsTheLastNumbersOfDeadThreads() throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).sampleInterval(java.time.Duration.ofMillis(5))
                .reapInterval(java.time.Duration.ofMillis(20)).build();
             ThreadGroupStats stats = new ThreadGroupStats(ts)) {
            Crew crew = new Crew(ts, List.of("s-1", "s-2"), 15_000_000L);
            Map<String, GroupTotals> live;
            try {
                // two sampler passes after the burn: the period may exceed the interval (CPU budget)
                long passes = ts.samplePasses();
                long until = System.nanoTime() + 5_000_000_000L;
                while (ts.samplePasses() < passes + 2 && System.nanoTime() < until) {
                    Thread.sleep(5);
                }
                live = stats.refresh();
            } finally {
                crew.close();
            }
            assertThat(live.get("s").liveThreads()).isEqualTo(2);
            assertThat(live.get("s").cpuNanos()).isGreaterThanOrEqualTo(2 * 15_000_000L - 2 * 10_000_000L);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the reaper frees the dead threads' slots
            }
            Map<String, GroupTotals> dead = stats.refresh();
            assertThat(dead.get("s").liveThreads()).isZero();
            assertNotBehind(live, dead);
        }
    }

    @Test
    void groupsAreCappedAndARenamedThreadLeavesItsPastBehind() throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build();
             ThreadGroupStats stats = new ThreadGroupStats(ts, ThreadGrouping.stripTrailingNumber(), 2)) {
            try (Crew first = new Crew(ts, List.of("x-1"), 1_000_000L)) {
                stats.refresh(); // x is the first group
                try (Crew others = new Crew(ts, List.of("y-1", "z-1", "z-2"), 1_000_000L)) {
                    Map<String, GroupTotals> t = stats.refresh();
                    assertThat(t.keySet()).as("two groups, then the overflow").hasSize(3)
                            .contains("x", ThreadGroupStats.OVERFLOW_GROUP);
                    assertThat(t.values().stream().mapToInt(GroupTotals::liveThreads).sum()).isEqualTo(4);
                    String second = t.containsKey("y") ? "y" : "z";
                    long xBefore = t.get("x").cpuNanos();
                    first.threads.getFirst().setName(second + "-7");
                    Map<String, GroupTotals> renamed = stats.refresh();
                    assertNotBehind(t, renamed);
                    assertThat(renamed.get("x").liveThreads()).isZero();
                    assertThat(renamed.get("x").cpuNanos()).as("x keeps what its thread used").isEqualTo(xBefore);
                    assertThat(renamed.get(second).liveThreads()).isEqualTo(t.get(second).liveThreads() + 1);
                }
            }
        }
    }
}
