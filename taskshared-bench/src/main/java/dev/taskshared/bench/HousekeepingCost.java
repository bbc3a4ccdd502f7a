package dev.taskshared.bench;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.publisher.BpfPublisher;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * What BPF mode's housekeeping costs the JVM: the whole process's CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) and the reaper thread's own (its CLOCK_THREAD_CPUTIME_ID) over a
 * window while N threads stay parked, registered in a BPF instance, against the same N threads
 * parked and not registered (the instance running, nothing registered). Needs BPF (root).
 *
 * <p>Usage: {@code HousekeepingCost [seconds per case] [threads] [task_storage|map_pages]}.
 */
public final class HousekeepingCost {
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;

    /** One case's figures. */
    public record Result(int threads, boolean registered, String dataPath, double processCpuPercent,
                         double reaperCpuPercent, double wallSeconds) {
        @Override
        public String toString() {
            return String.format("%5d parked %-12s %-12s process CPU %6.3f%% of one core  reaper %6.3f%%  (%.1f s)",
                    threads, registered ? "registered" : "unregistered", dataPath, processCpuPercent, reaperCpuPercent,
                    wallSeconds);
        }
    }

    private HousekeepingCost() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        BpfPublisher.DataPath path = args.length > 2 && args[2].equals("map_pages") ? BpfPublisher.DataPath.MAP_PAGES : BpfPublisher.DataPath.TASK_STORAGE;
        Duration window = Duration.ofMillis((long) (seconds * 1000));
        System.out.println("BPF housekeeping cost, " + seconds + " s per case, cases alternate");
        for (int round = 0; round < 2; round++) {
            System.out.println(measure(threads, false, path, window));
            System.out.println(measure(threads, true, path, window));
        }
    }

    /** Parks {@code threads} threads (registered or not), lets them settle for 2 s, then measures for {@code window}. */
    public static Result measure(int threads, boolean register, BpfPublisher.DataPath path, Duration window) throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.BPF).dataPath(path.jsonName()).build()) {
            List<Thread> workers = new ArrayList<>();
            CountDownLatch ready = new CountDownLatch(threads);
            for (int i = 0; i < threads; i++) {
                workers.add(Thread.ofPlatform().daemon().name("w" + i).stackSize(256 << 10).start(() -> {
                    if (register) {
                        ts.currentThread();
                    }
                    ready.countDown();
                    while (!Thread.currentThread().isInterrupted()) {
                        LockSupport.park();
                    }
                }));
            }
            ready.await();
            System.gc();
            Thread.sleep(2000);
            int reaper = threadNamed("taskshared-reap");
            long process0 = Libc.clockGettimeNanos(CLOCK_PROCESS_CPUTIME_ID);
            long reaper0 = Libc.threadCpuTimeNanos(reaper);
            java.util.Map<String, Long> threads0 = cpuByThreadName();
            long wall0 = System.nanoTime();
            Thread.sleep(window.toMillis());
            long process = Libc.clockGettimeNanos(CLOCK_PROCESS_CPUTIME_ID) - process0;
            if (Boolean.getBoolean("housekeeping.verbose")) {
                java.util.Map<String, Long> threads1 = cpuByThreadName();
                threads1.replaceAll((k, v) -> v - threads0.getOrDefault(k, 0L));
                threads1.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                        .forEach(e -> System.out.printf("    %-20s %8.3f ms%n", e.getKey(), e.getValue() / 1e6));
            }
            long reaperCpu = Libc.threadCpuTimeNanos(reaper) - reaper0;
            long wall = System.nanoTime() - wall0;
            for (Thread t : workers) {
                t.interrupt();
            }
            for (Thread t : workers) {
                t.join();
            }
            return new Result(threads, register, ts.dataPath(), 100.0 * process / wall, 100.0 * reaperCpu / wall, wall / 1e9);
        }
    }

    /** CPU time (schedstat) per thread name (comm), workers summed as "w*". */
    private static java.util.Map<String, Long> cpuByThreadName() throws IOException {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : d) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    long ns = Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
                    out.merge(comm.matches("w\\d+") ? "w*" : comm, ns, Long::sum);
                } catch (java.nio.file.NoSuchFileException exited) {
                    // a thread that ended while we listed
                }
            }
        }
        return out;
    }

    /** The kernel id of this JVM's thread whose comm (first 15 bytes of its name) is {@code comm}. */
    static int threadNamed(String comm) throws IOException {
        List<Integer> found = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : d) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals(comm)) {
                        found.add(Integer.parseInt(t.getFileName().toString()));
                    }
                } catch (java.nio.file.NoSuchFileException exited) {
                    // a thread that ended while we listed
                }
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException("expected one thread named " + comm + ", found " + found);
        }
        return found.get(0);
    }
}
