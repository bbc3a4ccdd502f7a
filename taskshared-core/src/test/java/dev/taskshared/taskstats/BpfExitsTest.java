package dev.taskshared.taskstats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.exit.ThreadExit;
import dev.taskshared.sys.Libc;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Registered threads' exits, seen by the BPF publisher, reach the same CPU-masked listeners as
 * the kernel's taskstats records, and free their slots. Tolerance: the BPF record's final CPU
 * time agrees with taskstats' cpu_run_virtual_total (sum_exec_runtime at exit) within 1 ms.
 */
class BpfExitsTest {

    private static void requirePrivileges() {
        Optional<String> why = TaskstatsClient.unavailableReason();
        Privileged.require("taskstats", why.isEmpty(), why.orElse(""));
    }

    private static Thread pinnedWorker(TaskShared ts, int cpu, Set<Integer> tids, CountDownLatch started) {
        return Thread.ofPlatform().name("exit-cpu" + cpu).start(() -> {
            Libc.setAffinity(0, cpu);
            tids.add(ts.currentThread().tid());
            Work.burnCpu(20_000_000L);
            started.countDown();
        });
    }

    @Test
    void registeredThreadsExitsReachTheListenersOfTheirCpu() throws Exception {
        requirePrivileges();
        List<ExitRecord> cpu0 = new CopyOnWriteArrayList<>();
        Set<Integer> ours0 = ConcurrentHashMap.newKeySet();
        Set<Integer> ours1 = ConcurrentHashMap.newKeySet();
        try (TaskShared ts = TaskShared.builder().mode(Mode.BPF).build();
             ExitMonitor monitor = ExitMonitor.open();
             ExitMonitor.Registration r = monitor.register(CpuSet.of(0), cpu0::add);
             AutoCloseable follow = monitor.follow(ts)) {
            CountDownLatch done = new CountDownLatch(6);
            Thread[] threads = new Thread[6];
            for (int i = 0; i < 6; i++) {
                threads[i] = pinnedWorker(ts, i % 2, i % 2 == 0 ? ours0 : ours1, done);
            }
            for (Thread t : threads) {
                t.join();
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline && countBpf(cpu0, ours0) < 3) {
                Thread.sleep(20);
            }
            Thread.sleep(100); // anything wrongly delivered would have arrived by now

            assertThat(countBpf(cpu0, ours0)).as("BPF exits of the CPU-0 threads").isEqualTo(3);
            assertThat(cpu0).as("nothing from CPU 1").noneMatch(rec -> ours1.contains(rec.tid()));
            for (ExitRecord bpf : cpu0) {
                if (bpf.source() != ExitRecord.Source.BPF || !ours0.contains(bpf.tid())) {
                    continue;
                }
                ThreadExit e = bpf.thread();
                assertThat(bpf.cpu()).isZero();
                assertThat(bpf.tgid()).isEqualTo(Libc.getpid());
                assertThat(bpf.comm()).isEqualTo("exit-cpu0");
                assertThat(e.sumExecRuntimeNanos()).isGreaterThanOrEqualTo(20_000_000L);
                ExitRecord kernel = cpu0.stream()
                        .filter(k -> k.source() == ExitRecord.Source.TASKSTATS && k.kind() == ExitRecord.Kind.TASK && k.tid() == bpf.tid())
                        .findFirst().orElseThrow(() -> new AssertionError("no taskstats record for " + bpf.tid()));
                long kernelSum = kernel.stats().get(TaskStats.Field.CPU_RUN_VIRTUAL_TOTAL).orElseThrow();
                assertThat(e.sumExecRuntimeNanos()).as("final CPU time vs taskstats").isCloseTo(kernelSum, offset(1_000_000L));
                assertThat(e.pcount()).isCloseTo(kernel.stats().get(TaskStats.Field.CPU_COUNT).orElseThrow(), offset(2L));
            }
            assertThat(ts.registeredThreads()).as("exits free the slots").isZero();
        }
    }

    private static long countBpf(List<ExitRecord> records, Set<Integer> tids) {
        return records.stream().filter(r -> r.source() == ExitRecord.Source.BPF && tids.contains(r.tid())).count();
    }

    @Test
    void aBurstOfRegisteredExitsIsDeliveredOrCounted() throws Exception {
        requirePrivileges();
        int n = 2000;
        Set<Integer> tids = ConcurrentHashMap.newKeySet();
        Set<Integer> delivered = ConcurrentHashMap.newKeySet();
        try (TaskShared ts = TaskShared.builder().mode(Mode.BPF).build();
             AutoCloseable l = ts.onThreadExit(e -> delivered.add(e.tid()))) {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Thread.ofPlatform().start(() -> tids.add(ts.currentThread().tid())).join();
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && delivered.size() + ts.lostThreadExits() < n) {
                Thread.sleep(20);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("BPF exit burst: %d registered threads exited, %d delivered, %d dropped, %.0f exits/s%n",
                    n, delivered.size(), ts.lostThreadExits(), delivered.size() / seconds);
            assertThat(delivered.size() + ts.lostThreadExits()).as("delivered + counted losses").isEqualTo(n);
            assertThat(tids).containsAll(delivered);
        }
    }
}
