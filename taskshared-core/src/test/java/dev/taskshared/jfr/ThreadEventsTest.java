package dev.taskshared.jfr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.taskstats.CpuSet;
import dev.taskshared.taskstats.ExitMonitor;
import dev.taskshared.taskstats.TaskstatsClient;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;

/**
 * {@value TaskSharedEvents#THREAD_STATISTICS} and {@value TaskSharedEvents#THREAD_EXIT} against
 * the kernel's accounting. Tolerances: a blocked thread's CPU time and run-queue delay within 1% +
 * 2 ms of /proc/&lt;tid&gt;/schedstat and switches within 3 (the publisher's own tolerance); an
 * exiting thread's final CPU time: the BPF record's within 1 ms of the kernel's taskstats record
 * (sum_exec_runtime at exit), both at least what schedstat said just before the thread's code
 * returned and at most 10 ms more (the JVM's thread teardown, and schedstat's view of a running
 * thread lagging by up to a tick).
 */
class ThreadEventsTest {

    private static void assertWithinSchedstatTolerance(String what, long published, long kernel) {
        long tolerance = kernel / 100 + 2_000_000L;
        assertThat(published).as(what + " vs /proc schedstat " + kernel).isBetween(kernel - tolerance, kernel + tolerance);
    }

    @Test
    void periodicStatisticsOfABlockedThreadMatchSchedstat() throws Exception {
        try (TaskShared ts = Privileged.bpfTaskShared()) {
            CountDownLatch registered = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            AtomicLong tid = new AtomicLong();
            Thread worker = Thread.ofPlatform().name("stats-worker-1").start(() -> {
                tid.set(ts.currentThread().tid());
                Work.burnCpu(30_000_000L);
                registered.countDown();
                try {
                    finish.await(); // blocked: its slot and schedstat stand still
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            registered.await();
            Map<String, String> settings = new HashMap<>(TaskSharedEvents.settings(null));
            settings.put(TaskSharedEvents.THREAD_STATISTICS + "#period", "100 ms");
            List<RecordedEvent> events;
            long[] kernel;
            try (AutoCloseable periodic = TaskSharedEvents.register(ts)) {
                events = Recordings.record(settings, TaskSharedEvents.THREAD_STATISTICS, () -> Thread.sleep(700));
                kernel = Kernel.schedstat(tid.get());
            } finally {
                finish.countDown();
                worker.join();
            }
            List<RecordedEvent> mine = events.stream().filter(e -> e.getInt("tid") == tid.get()).toList();
            assertThat(mine.size()).as("events every 100 ms for 700 ms").isGreaterThanOrEqualTo(4);
            RecordedEvent last = mine.getLast();
            assertThat(last.getString("threadName")).isEqualTo("stats-worker-1");
            assertThat(last.getThread("thread").getJavaName()).isEqualTo("stats-worker-1");
            assertWithinSchedstatTolerance("cpuTime", last.getDuration("cpuTime").toNanos(), kernel[0]);
            assertWithinSchedstatTolerance("runQueueDelay", last.getDuration("runQueueDelay").toNanos(), kernel[1]);
            assertThat(last.getLong("switches")).isBetween(kernel[2] - 3, kernel[2] + 3);
            assertThat(last.getDuration("cpuTime")).isGreaterThanOrEqualTo(Duration.ofMillis(30));
            assertThat(last.getDuration("offCpuTime")).as("blocked for the whole recording").isGreaterThan(Duration.ofMillis(400));
            assertThat(last.getLong("migrations")).isNotNegative();
            assertThat(last.getFloat("cpuLoad")).as("a blocked thread uses no CPU").isBetween(0f, 0.02f);
            assertThat(mine.getFirst().getFloat("cpuLoad")).as("no previous event: N/A").isNaN();
        }
    }

    @Test
    void samplingModeLeavesWhatItCannotKnowNotAvailable() throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build()) {
            ts.currentThread();
            Map<String, String> settings = new HashMap<>(TaskSharedEvents.settings(null));
            settings.put(TaskSharedEvents.THREAD_STATISTICS + "#period", "50 ms");
            List<RecordedEvent> events;
            try (AutoCloseable periodic = TaskSharedEvents.register(ts)) {
                events = Recordings.record(settings, TaskSharedEvents.THREAD_STATISTICS, () -> Thread.sleep(300));
            }
            assertThat(events).isNotEmpty();
            RecordedEvent e = events.getLast();
            assertThat(e.getLong("offCpuTime")).isEqualTo(Long.MIN_VALUE);
            assertThat(e.getLong("migrations")).isEqualTo(Long.MIN_VALUE);
            assertThat(e.getDuration("cpuTime")).isPositive();
        }
    }

    @Test
    void exitsFromBpfAndTaskstatsBecomeEvents() throws Exception {
        Optional<String> noTaskstats = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", noTaskstats.isEmpty(), noTaskstats.orElse(""));
        try (TaskShared ts = Privileged.bpfTaskShared(); ExitMonitor monitor = ExitMonitor.open()) {
            AtomicLong tid = new AtomicLong();
            AtomicLong lastCpu = new AtomicLong();
            List<RecordedEvent> events;
            try (AutoCloseable bpfExits = TaskSharedEvents.register(ts);
                 var kernelExits = TaskSharedEvents.recordExits(monitor, CpuSet.possible())) {
                events = Recordings.record(TaskSharedEvents.settings(null), TaskSharedEvents.THREAD_EXIT, () -> {
                    Thread t = Thread.ofPlatform().name("exiting").start(() -> {
                        tid.set(ts.currentThread().tid()); // exits registered: the BPF program sees it
                        Work.burnCpu(20_000_000L);
                        lastCpu.set(Kernel.schedstat(tid.get())[0]);
                    });
                    t.join();
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
                        Thread.sleep(10); // the BPF exit frees the slot, then the event is committed
                    }
                    Thread.sleep(200); // the taskstats record arrives on the monitor's thread
                });
            }
            List<RecordedEvent> mine = events.stream().filter(e -> e.getInt("tid") == tid.get()).toList();
            RecordedEvent bpf = mine.stream().filter(e -> e.getString("source").equals("bpf")).findFirst().orElseThrow();
            RecordedEvent kernel = mine.stream()
                    .filter(e -> e.getString("source").equals("taskstats") && e.getString("kind").equals("task"))
                    .findFirst().orElseThrow();
            for (RecordedEvent e : List.of(bpf, kernel)) {
                long cpu = e.getDuration("cpuTime").toNanos();
                assertThat(cpu).as(e.getString("source") + " final CPU").isBetween(lastCpu.get(), lastCpu.get() + 10_000_000L);
                assertThat(e.getString("comm")).isEqualTo("exiting");
                assertThat(e.getInt("tgid")).isEqualTo((int) ProcessHandle.current().pid());
            }
            assertThat(bpf.getDuration("cpuTime").toNanos()).as("BPF vs taskstats final CPU")
                    .isBetween(kernel.getDuration("cpuTime").toNanos() - 1_000_000L, kernel.getDuration("cpuTime").toNanos() + 1_000_000L);
            assertThat(bpf.getLong("offCpuTime")).isNotEqualTo(Long.MIN_VALUE);
            assertThat(bpf.getLong("userTime")).isEqualTo(Long.MIN_VALUE);
            assertThat(kernel.getLong("offCpuTime")).isEqualTo(Long.MIN_VALUE);
            // ac_utime + ac_stime are tick-sampled (a 20 ms burn can be charged 0 ticks when the
            // hypervisor steals the CPU at tick time): never more than the exact CPU time plus two ticks.
            long ticksNanos = kernel.getDuration("userTime").plus(kernel.getDuration("systemTime")).toNanos();
            assertThat(ticksNanos).as("taskstats utime + stime").isBetween(0L, kernel.getDuration("cpuTime").toNanos() + 8_000_000L);
        }
    }
}
