package dev.taskshared.testing;

import dev.taskshared.ThreadStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Threads with known work, then blocked, for comparing their slots with their /proc: each
 * registers (through {@code register}), burns 4-12 ms of CPU and sleeps 2 ms five times, then
 * blocks until {@link #close}. {@link #start} returns once all of them are blocked. A burn is at
 * least one 4 ms scheduler tick, so that every worker is charged tick-sampled utime/stime too.
 */
public final class BlockedWorkers implements AutoCloseable {
    private final List<ThreadStats> handles = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    private BlockedWorkers() {
    }

    public static BlockedWorkers start(int n, Supplier<ThreadStats> register) throws InterruptedException {
        BlockedWorkers w = new BlockedWorkers();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            long burn = 2_000_000L * (i % 5 + 2);
            w.threads.add(Thread.ofPlatform().start(() -> {
                ThreadStats me = register.get();
                synchronized (w.handles) {
                    w.handles.add(me);
                }
                for (int k = 0; k < 5; k++) {
                    Work.burnCpu(burn);
                    Work.sleep(2);
                }
                done.countDown();
                try {
                    w.release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            w.close();
            throw new IllegalStateException("workers did not finish their work within 60 s");
        }
        Thread.sleep(50); // blocked for good: their last switch-out is published
        return w;
    }

    /** The workers' handles, one per thread. */
    public List<ThreadStats> handles() {
        synchronized (handles) {
            return List.copyOf(handles);
        }
    }

    /** Lets the workers end and waits for them. */
    @Override
    public void close() throws InterruptedException {
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
    }
}
