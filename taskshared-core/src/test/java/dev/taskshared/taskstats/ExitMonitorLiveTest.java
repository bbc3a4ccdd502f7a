package dev.taskshared.taskstats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.sys.Libc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Exit records from the live kernel, filtered to the threads each test creates (other tasks on the host exit too). */
class ExitMonitorLiveTest {
    private final int pid = (int) ProcessHandle.current().pid();

    @BeforeEach
    void gate() {
        TaskstatsLiveTest.requireTaskstats();
    }

    @AfterEach
    void receiverThreadIsGone() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (receiverAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(receiverAlive()).as("receiver thread stopped").isFalse();
    }

    private static boolean receiverAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("taskshared-taskstats-exits") && t.isAlive());
    }

    /** Collects this process's records by tid. */
    private final class Collector implements ExitListener {
        final Map<Integer, ExitRecord> ours = new ConcurrentHashMap<>();
        final AtomicLong all = new AtomicLong();
        final AtomicLong overrunDrops = new AtomicLong();
        final AtomicLong overruns = new AtomicLong();

        @Override
        public void onExit(ExitRecord r) {
            all.incrementAndGet();
            if (r.tgid() == pid && r.kind() == ExitRecord.Kind.TASK) {
                ours.put(r.tid(), r);
            }
        }

        @Override
        public void onOverrun(Overrun o) {
            overruns.incrementAndGet();
            overrunDrops.addAndGet(o.droppedRecords());
        }

        int of(Set<Integer> tids) {
            return (int) tids.stream().filter(ours::containsKey).count();
        }
    }

    /** Starts {@code count} threads that pin themselves to {@code cpu}, note their tid and exit; returns the tids once all have exited. */
    private static Set<Integer> exitOn(int cpu, int count) throws InterruptedException {
        Set<Integer> tids = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> {
                Libc.setAffinity(0, cpu);
                tids.add(Libc.gettid());
            }, "exit-on-" + cpu);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return tids;
    }

    /** Waits until {@code value} reaches {@code target}, or stops moving for {@code quietMillis}. */
    private static void await(LongSupplier value, long target, long quietMillis) throws InterruptedException {
        long last = -1;
        long lastChange = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            long v = value.getAsLong();
            if (v >= target) {
                return;
            }
            if (v != last) {
                last = v;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(quietMillis)) {
                return;
            }
            Thread.sleep(5);
        }
    }

    @Test
    void listenersGetExactlyTheExitsOfTheirCpus() throws Exception {
        Collector cpu0 = new Collector();
        Collector both = new Collector();
        Collector cpu1 = new Collector();
        try (ExitMonitor monitor = ExitMonitor.open()) {
            ExitMonitor.Registration r0 = monitor.register(CpuSet.parse("0"), cpu0);
            ExitMonitor.Registration r01 = monitor.register(CpuSet.parse("0-1"), both);
            ExitMonitor.Registration r1 = monitor.register(CpuSet.parse("1"), cpu1);
            assertThat(monitor.watchedCpus().toString()).isEqualTo("0-1");
            assertThat(monitor.receiveBufferBytes()).isGreaterThanOrEqualTo(ExitMonitor.DEFAULT_RECEIVE_BUFFER);

            Set<Integer> on0 = exitOn(0, 20);
            Set<Integer> on1 = exitOn(1, 20);
            await(() -> both.of(on0) + both.of(on1), 40, 2000);
            await(() -> cpu0.of(on0), 20, 500);
            await(() -> cpu1.of(on1), 20, 500);

            assertThat(monitor.droppedRecords()).isZero();
            assertThat(cpu0.ours.keySet()).containsAll(on0).doesNotContainAnyElementsOf(on1);
            assertThat(cpu1.ours.keySet()).containsAll(on1).doesNotContainAnyElementsOf(on0);
            assertThat(both.ours.keySet()).containsAll(on0).containsAll(on1);
            for (int tid : on0) {
                ExitRecord r = both.ours.get(tid);
                assertThat(r.cpu()).isZero();
                assertThat(r.tgid()).isEqualTo(pid);
                assertThat(r.source()).isEqualTo(ExitRecord.Source.TASKSTATS);
                assertThat(r.comm()).isEqualTo("exit-on-0");
                assertThat(r.stats().value(TaskStats.Field.AC_PID)).isEqualTo(tid);
                assertThat(r.stats().version()).isGreaterThanOrEqualTo(14);
            }
            for (int tid : on1) {
                assertThat(both.ours.get(tid).cpu()).isEqualTo(1);
            }
            // Every record of a CPU-0 listener came from CPU 0, ours or not.
            assertThat(cpu0.ours.values()).allMatch(r -> r.cpu() == 0);
            assertThat(r0.delivered()).isEqualTo(cpu0.all.get());
            System.out.printf("cpu-masked listeners: cpu0 got %d of ours (%d in all), cpu1 %d (%d), 0-1 %d (%d)%n",
                    cpu0.ours.size(), cpu0.all.get(), cpu1.ours.size(), cpu1.all.get(), both.ours.size(), both.all.get());

            // Closing the CPU-1-only and 0-1 registrations stops delivery to them and unwatches CPU 1.
            r1.close();
            r01.close();
            assertThat(monitor.watchedCpus().toString()).isEqualTo("0");
            long bothBefore = both.all.get();
            Set<Integer> again = exitOn(0, 5);
            await(() -> cpu0.of(again), 5, 2000);
            assertThat(cpu0.of(again)).isEqualTo(5);
            assertThat(both.all.get()).isEqualTo(bothBefore);
            r0.close();
            r0.close(); // idempotent
            assertThat(monitor.watchedCpus().isEmpty()).isTrue();
        }
    }

    @Test
    void burstOfShortLivedThreadsIsDeliveredOrCounted() throws Exception {
        int total = 3000;
        Collector c = new Collector();
        try (ExitMonitor monitor = ExitMonitor.open()) {
            monitor.register(CpuSet.all(), c);
            Set<Integer> tids = ConcurrentHashMap.newKeySet();
            long start = System.nanoTime();
            // Waves of 50 concurrent threads, each exiting as soon as it has noted its tid.
            for (int wave = 0; wave < total / 50; wave++) {
                List<Thread> threads = new ArrayList<>(50);
                for (int i = 0; i < 50; i++) {
                    Thread t = new Thread(() -> tids.add(Libc.gettid()), "burst");
                    t.start();
                    threads.add(t);
                }
                for (Thread t : threads) {
                    t.join();
                }
            }
            long exited = System.nanoTime();
            await(() -> c.of(tids) + monitor.droppedRecords(), total, 1000);
            long delivered = c.of(tids);
            long end = System.nanoTime();
            long dropped = monitor.droppedRecords();
            double seconds = (end - start) / 1e9;
            System.out.printf("burst: %d threads exited in %.3f s; %d delivered in %.3f s = %.0f exits/s delivered; "
                            + "%d records dropped (%d overruns), %d records received in all (host included), rcvbuf %d bytes%n",
                    total, (exited - start) / 1e9, delivered, seconds, delivered / seconds, dropped,
                    monitor.droppedOverruns(), monitor.received(), monitor.receiveBufferBytes());
            assertThat(tids).hasSize(total);
            assertThat(delivered + dropped).isGreaterThanOrEqualTo(total);
            if (dropped == 0) {
                assertThat(delivered).isEqualTo(total);
            }
            assertThat(c.overrunDrops.get()).isEqualTo(dropped);
        }
    }

    @Test
    void overrunsAreCountedAndReportedNeverSilent() throws Exception {
        int total = 400;
        Collector c = new Collector();
        CountDownLatch release = new CountDownLatch(1);
        // A listener that stalls the receiver until every thread has exited, on sockets with a tiny buffer.
        ExitListener stalling = new ExitListener() {
            @Override
            public void onExit(ExitRecord r) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                c.onExit(r);
            }

            @Override
            public void onOverrun(Overrun o) {
                c.onOverrun(o);
            }
        };
        try (ExitMonitor monitor = ExitMonitor.open(4096)) {
            monitor.register(CpuSet.all(), stalling);
            Set<Integer> tids = ConcurrentHashMap.newKeySet();
            tids.addAll(exitOn(0, total / 2));
            tids.addAll(exitOn(1, total / 2));
            release.countDown();
            await(() -> c.of(tids) + monitor.droppedRecords(), total, 1000);
            long delivered = c.of(tids);
            long dropped = monitor.droppedRecords();
            System.out.printf("overrun: rcvbuf %d bytes, %d of %d delivered, %d dropped in %d overruns (cpu0 %d, cpu1 %d), listener told of %d in %d callbacks%n",
                    monitor.receiveBufferBytes(), delivered, total, dropped, monitor.droppedOverruns(),
                    monitor.droppedRecords(0), monitor.droppedRecords(1), c.overrunDrops.get(), c.overruns.get());
            assertThat(monitor.droppedOverruns()).isPositive();
            assertThat(dropped).isPositive();
            assertThat(delivered + dropped).isGreaterThanOrEqualTo(total);
            assertThat(c.overrunDrops.get()).isEqualTo(dropped);
            assertThat(monitor.droppedRecords(0) + monitor.droppedRecords(1)).isEqualTo(dropped);
        }
    }

    @Test
    void closeStopsTheReceiverAndLaterRegistrationsFail() {
        ExitMonitor monitor = ExitMonitor.open();
        ExitMonitor.Registration r = monitor.register(CpuSet.of(0), rec -> { });
        monitor.close();
        monitor.close();
        r.close(); // after the monitor: no-op
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> monitor.register(CpuSet.of(0), rec -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("exit monitor is closed");
    }
}
