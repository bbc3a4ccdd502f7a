package dev.taskshared.cli;

import dev.taskshared.Feature;
import dev.taskshared.Interval;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.jfr.OperationEvent;
import dev.taskshared.vthread.VirtualThreadSnapshot;
import dev.taskshared.vthread.VirtualThreads;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;

/**
 * The demo's workload: a small in-process key-value service. Client threads put requests on a
 * bounded queue; more worker threads than CPUs take them and run one of four operation classes,
 * each wrapped in the worker's one reused {@link Interval}:
 *
 * <ul>
 *   <li>{@code get}: a map lookup (CPU-light);
 *   <li>{@code put}: builds a value and appends it to a journal under one contended lock, hashing
 *       it with SHA-256 while holding the lock;
 *   <li>{@code scan}: copies a 256 KiB window of a column, sorts and hashes it (CPU-heavy);
 *   <li>{@code flush}: writes 16 KiB to a temp file and fdatasyncs it, padded with a sleep to a
 *       1-3 ms device latency (blocking I/O), so that it blocks on any file system.
 * </ul>
 */
final class DemoWorkload {
    /** The operation classes, in mix order. */
    enum Op {
        GET(70), PUT(20), SCAN(6), FLUSH(4);

        final int percent;

        Op(int percent) {
            this.percent = percent;
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final int KEYS = 50_000;
    private static final int VALUE_BYTES = 256;
    private static final int COLUMN_LONGS = 64 * 1024;       // 512 KiB
    private static final int SCAN_LONGS = 32 * 1024;         // 256 KiB per scan
    private static final int FLUSH_BYTES = 16 * 1024;
    private static final int CLIENTS = 2;
    private static final int QUEUE_CAPACITY = 64;

    /**
     * One measure of one operation class: an HdrHistogram (3 significant digits, resizing) for the
     * distribution, plus the exact total and maximum, since the demo's checks compare sums, which a
     * histogram only approximates. Not thread-safe: one per worker, merged afterwards.
     */
    static final class Measure {
        final Histogram histogram = new Histogram(3);
        private long sum;
        private long max;

        /** Records {@code nanos}; negative values count as 0. */
        void record(long nanos) {
            long v = Math.max(0, nanos);
            histogram.recordValue(v);
            sum += v;
            max = Math.max(max, v);
        }

        void merge(Measure other) {
            histogram.add(other.histogram);
            sum += other.sum;
            max = Math.max(max, other.max);
        }

        long count() {
            return histogram.getTotalCount();
        }

        long sum() {
            return sum;
        }

        /** The exact maximum recorded. */
        long max() {
            return max;
        }

        /** The exact mean. */
        double mean() {
            long n = count();
            return n == 0 ? 0 : (double) sum / n;
        }

        /** The value at quantile {@code q} (0..1), within 0.1%, never above the exact maximum. */
        long quantile(double q) {
            return count() == 0 ? 0 : Math.min(max, histogram.getValueAtPercentile(q * 100));
        }
    }

    /** What one worker measured for one operation class. */
    static final class OpStats {
        final Measure wall = new Measure();
        final Measure cpu = new Measure();
        final Measure offCpu = new Measure();
        final Measure runDelay = new Measure();
        final Measure queued = new Measure();
        long switches;
        long voluntary;
        long involuntary;
        long invalid;
        /** Largest |cpu + off-cpu - wall| of one operation, and how many had cpu above wall by more than 1 µs. */
        long maxDeviation;
        long cpuAboveWall;

        void merge(OpStats o) {
            wall.merge(o.wall);
            cpu.merge(o.cpu);
            offCpu.merge(o.offCpu);
            runDelay.merge(o.runDelay);
            queued.merge(o.queued);
            switches += o.switches;
            voluntary += o.voluntary;
            involuntary += o.involuntary;
            invalid += o.invalid;
            maxDeviation = Math.max(maxDeviation, o.maxDeviation);
            cpuAboveWall += o.cpuAboveWall;
        }
    }

    /** The merged measurements of a run. */
    record Result(int workers, int cpus, Duration duration, OpStats[] byOp, long workerCpuNanos,
                  long workerRunDelayNanos, boolean runDelayKnown, long flushSleepNanos, long checksum) {
        OpStats of(Op op) {
            return byOp[op.ordinal()];
        }
    }

    private record Request(Op op, int key, long submittedNanos) {
    }

    private static final Request STOP = new Request(null, 0, 0);

    private final int workers;
    private final Duration duration;
    private final boolean virtualWorkers;
    private final ConcurrentHashMap<Integer, byte[]> map = new ConcurrentHashMap<>();
    private final long[] column = new long[COLUMN_LONGS];
    private final ReentrantLock journalLock = new ReentrantLock();
    private long journalHash; // guarded by journalLock
    private final BlockingQueue<Request> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private volatile boolean stopping;

    DemoWorkload(int workers, Duration duration) {
        this(workers, duration, false);
    }

    /**
     * @param virtualWorkers run the workers as virtual threads: their Intervals then measure the
     *        virtual threads themselves, which needs the taskshared agent (see dev.taskshared.vthread)
     */
    DemoWorkload(int workers, Duration duration, boolean virtualWorkers) {
        if (virtualWorkers && !VirtualThreads.isActive()) {
            throw new IllegalStateException("virtual-thread workers need the taskshared agent: " + VirtualThreads.status());
        }
        this.workers = workers;
        this.duration = duration;
        this.virtualWorkers = virtualWorkers;
        var rnd = new java.util.SplittableRandom(42);
        for (int k = 0; k < KEYS; k++) {
            byte[] v = new byte[VALUE_BYTES];
            for (int i = 0; i < v.length; i++) {
                v[i] = (byte) rnd.nextInt();
            }
            map.put(k, v);
        }
        for (int i = 0; i < column.length; i++) {
            column[i] = rnd.nextLong();
        }
    }

    /** Runs clients and workers for the duration, then drains the queue and merges what the workers measured. */
    Result run() throws InterruptedException {
        TaskShared.get(); // start the library before the clock runs: its startup is not the workload's
        Path dir;
        try {
            dir = Files.createTempDirectory("taskshared-demo");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp directory for the flush operation", e);
        }
        List<Worker> ws = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            for (int i = 0; i < workers; i++) {
                Worker w = new Worker(dir.resolve("flush-" + i));
                ws.add(w);
                threads.add(thread("kv-worker-" + i, w, failure, virtualWorkers));
            }
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(thread("kv-client-" + i, this::client, failure, false));
            }
            threads.forEach(Thread::start);
            clients.forEach(Thread::start);
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end && failure.get() == null) {
                TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
            }
            stopping = true;
            for (Thread c : clients) {
                c.interrupt();
                c.join(5_000);
            }
            for (int i = 0; i < workers; i++) {
                if (!queue.offer(STOP, 5, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the demo's workers stopped taking requests");
                }
            }
            for (Thread t : threads) {
                t.join(10_000);
                if (t.isAlive()) {
                    throw new IllegalStateException(t.getName() + " did not finish");
                }
            }
        } finally {
            deleteQuietly(dir);
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new IllegalStateException("the demo's workload failed: " + f, f);
        }
        OpStats[] merged = new OpStats[Op.values().length];
        long cpu = 0;
        long runDelay = 0;
        long sleep = 0;
        boolean runDelayKnown = true;
        for (int i = 0; i < merged.length; i++) {
            merged[i] = new OpStats();
        }
        for (Worker w : ws) {
            for (int i = 0; i < merged.length; i++) {
                merged[i].merge(w.byOp[i]);
            }
            cpu += w.cpuNanos;
            runDelay += w.runDelayNanos;
            runDelayKnown &= w.runDelayKnown;
            sleep += w.flushSleepNanos;
        }
        long checksum;
        journalLock.lock();
        try {
            checksum = journalHash;
        } finally {
            journalLock.unlock();
        }
        for (Worker w : ws) {
            checksum ^= w.sink;
        }
        return new Result(workers, Runtime.getRuntime().availableProcessors(), duration, merged, cpu, runDelay,
                runDelayKnown, sleep, checksum);
    }

    private static Thread thread(String name, ThrowingRunnable body, AtomicReference<Throwable> failure, boolean virtual) {
        Thread.Builder builder = virtual ? Thread.ofVirtual().name(name) : Thread.ofPlatform().name(name).daemon();
        return builder.unstarted(() -> {
            try {
                body.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void client() throws InterruptedException {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stopping) {
            int pick = rnd.nextInt(100);
            Op op = Op.FLUSH;
            for (Op o : Op.values()) {
                if (pick < o.percent) {
                    op = o;
                    break;
                }
                pick -= o.percent;
            }
            queue.put(new Request(op, rnd.nextInt(KEYS), System.nanoTime()));
        }
    }

    /** One worker thread: takes requests until STOP, measuring each with its one Interval. */
    private final class Worker implements ThrowingRunnable {
        final OpStats[] byOp = new OpStats[Op.values().length];
        final Path flushFile;
        final byte[] value = new byte[VALUE_BYTES];
        final long[] scanBuffer = new long[SCAN_LONGS];
        final ByteBuffer flushBuffer = ByteBuffer.allocateDirect(FLUSH_BYTES);
        long cpuNanos;
        long runDelayNanos;
        boolean runDelayKnown;
        long flushSleepNanos;
        long sink;

        Worker(Path flushFile) {
            this.flushFile = flushFile;
            for (int i = 0; i < byOp.length; i++) {
                byOp[i] = new OpStats();
            }
        }

        @Override
        public void run() throws Exception {
            ThreadStats me = TaskShared.current(); // on a virtual thread: its carrier's handle
            Interval op = me.newInterval(); // one per thread, reused for every request; on a virtual thread
                                            // with the agent, it measures the virtual thread
            // The worker's totals, to check the operations against: its own thread's, or with
            // virtual workers the virtual thread's (the agent's), never a carrier's.
            VirtualThreadSnapshot vt0 = virtualWorkers ? VirtualThreads.current().snapshot(new VirtualThreadSnapshot()) : null;
            runDelayKnown = virtualWorkers || me.supports(Feature.RUN_DELAY);
            long cpu0 = virtualWorkers ? vt0.cpuNanos() : Libc.threadCpuTimeNanos();
            long runDelay0 = virtualWorkers ? vt0.runDelayNanos() : runDelayKnown ? me.runDelayNanos() : 0;
            MessageDigest sha = sha256();
            try (FileChannel file = FileChannel.open(flushFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                while (true) {
                    Request r = queue.take();
                    if (r == STOP) {
                        break;
                    }
                    long queued = System.nanoTime() - r.submittedNanos;
                    op.start();
                    switch (r.op) {
                        case GET -> get(r.key);
                        case PUT -> put(r.key, sha);
                        case SCAN -> scan(r.key);
                        case FLUSH -> flush(file);
                    }
                    op.stop();
                    OperationEvent.commit(r.op.label(), op); // nothing unless a recording enables it
                    OpStats s = byOp[r.op.ordinal()];
                    if (!op.valid()) {
                        s.invalid++;
                        continue;
                    }
                    s.queued.record(queued);
                    s.wall.record(op.wallNanos());
                    s.cpu.record(op.cpuNanos());
                    s.offCpu.record(op.offCpuNanos());
                    s.runDelay.record(op.runDelayNanos());
                    s.switches += op.switches();
                    s.voluntary += op.voluntarySwitches();
                    s.involuntary += op.involuntarySwitches();
                    s.maxDeviation = Math.max(s.maxDeviation,
                            Math.abs(op.cpuNanos() + op.offCpuNanos() - op.wallNanos()));
                    if (op.cpuNanos() > op.wallNanos() + 1_000) {
                        s.cpuAboveWall++;
                    }
                }
            }
            if (virtualWorkers) {
                VirtualThreadSnapshot vt1 = VirtualThreads.current().snapshot(new VirtualThreadSnapshot());
                cpuNanos = vt1.cpuNanos() - cpu0;
                runDelayNanos = vt1.runDelayNanos() - runDelay0;
                return; // the handle is the carrier's, shared with other virtual threads: not ours to release
            }
            cpuNanos = Libc.threadCpuTimeNanos() - cpu0;
            runDelayNanos = runDelayKnown ? me.runDelayNanos() - runDelay0 : 0;
            me.release();
        }

        private void get(int key) {
            byte[] v = map.get(key);
            sink += v == null ? 0 : v[key & (VALUE_BYTES - 1)];
        }

        private void put(int key, MessageDigest sha) {
            long x = key * 0x9E3779B97F4A7C15L;
            for (int i = 0; i < value.length; i += 8) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                for (int b = 0; b < 8; b++) {
                    value[i + b] = (byte) (x >>> (b * 8));
                }
            }
            // The journal append and its checksum happen under one lock: the contended part of a write.
            journalLock.lock();
            try {
                sha.update(value);
                byte[] digest = sha.digest();
                map.put(key, value.clone());
                journalHash = journalHash * 31 + digest[0] + ((long) digest[31] << 8);
            } finally {
                journalLock.unlock();
            }
        }

        private void scan(int key) {
            int from = key % (COLUMN_LONGS - SCAN_LONGS);
            System.arraycopy(column, from, scanBuffer, 0, SCAN_LONGS);
            Arrays.sort(scanBuffer);
            long h = 1125899906842597L;
            for (long v : scanBuffer) {
                h = 31 * h + (v ^ (v >>> 29));
            }
            sink += h;
        }

        private void flush(FileChannel file) throws IOException {
            long t0 = System.nanoTime();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            flushBuffer.clear();
            while (flushBuffer.hasRemaining()) {
                flushBuffer.putLong(rnd.nextLong());
            }
            flushBuffer.flip();
            while (flushBuffer.hasRemaining()) {
                file.write(flushBuffer, FLUSH_BYTES - flushBuffer.remaining());
            }
            file.force(false);
            // Pad to a 1-3 ms device latency, so the operation blocks even where fsync is nearly free.
            long target = t0 + rnd.nextLong(1_000_000, 3_000_000);
            long left = target - System.nanoTime();
            if (left > 0) {
                flushSleepNanos += left;
            }
            while (left > 0) { // parkNanos may return early
                LockSupport.parkNanos(left);
                left = target - System.nanoTime();
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temp directory left behind costs little
        }
    }
}
