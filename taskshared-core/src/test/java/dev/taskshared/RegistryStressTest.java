package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 1,000 threads register and die without releasing, round after round. */
class RegistryStressTest {

    @Test
    void noSlotIsHandedOutTwiceAndNoneLeaks() throws Exception {
        int threads = 1000;
        int rounds = 5;
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).sampleInterval(Duration.ofMillis(50))
                .reapInterval(Duration.ofMillis(100)).build()) {
            for (int round = 0; round < rounds; round++) {
                Set<Integer> liveSlots = ConcurrentHashMap.newKeySet();
                AtomicInteger duplicates = new AtomicInteger();
                CountDownLatch registered = new CountDownLatch(threads);
                CountDownLatch exit = new CountDownLatch(1);
                Thread[] ts2 = new Thread[threads];
                for (int i = 0; i < threads; i++) {
                    ts2[i] = Thread.ofPlatform().start(() -> {
                        ThreadStats me = ts.currentThread();
                        if (!liveSlots.add(me.slotIndex())) {
                            duplicates.incrementAndGet();
                        }
                        registered.countDown();
                        try {
                            exit.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        // dies without release()
                    });
                }
                registered.await();
                assertThat(duplicates.get()).as("slots handed out twice in round " + round).isZero();
                assertThat(ts.registeredThreads()).isEqualTo(threads);
                exit.countDown();
                for (Thread t : ts2) {
                    t.join();
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (ts.registeredThreads() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(ts.registeredThreads()).as("slots still held after round " + round).isZero();
            }
            // Freed slots are reused: capacity stays at what one round needed.
            assertThat(ts.slotCapacity()).isLessThanOrEqualTo(((threads + 31) / 32) * 32 + 32);
            assertThat(ts.reclaimedSlots()).isEqualTo((long) threads * rounds);
        }
    }

    @Test
    void aReusedTidGetsAFreshSlotAndTheOldHandleIsDead() throws Exception {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).reapInterval(Duration.ofHours(1)).build()) {
            ThreadStats[] first = new ThreadStats[1];
            Thread t = Thread.ofPlatform().start(() -> first[0] = ts.currentThread());
            t.join();
            // The reaper is idle: the dead thread's registration is still there until someone needs it.
            assertThat(ts.registeredThreads()).isEqualTo(1);
            // join() returns when the Java thread ended; its task may take a moment more to exit.
            int reclaimed = 0;
            for (int i = 0; i < 500 && reclaimed == 0; i++) {
                reclaimed = ts.reclaimDeadThreads();
                Thread.sleep(10);
            }
            assertThat(reclaimed).isEqualTo(1);
            assertThat(first[0].isReleased()).isTrue();
            org.assertj.core.api.Assertions.assertThatThrownBy(first[0]::runDelayNanos)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("released");
        }
    }

    @Test
    void explicitReleaseFreesTheSlotAndCurrentRegistersAgain() {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build()) {
            ThreadStats me = ts.currentThread();
            assertThat(ts.currentThread()).isSameAs(me);
            me.release();
            assertThat(ts.registeredThreads()).isZero();
            ThreadStats again = ts.currentThread();
            assertThat(again).isNotSameAs(me);
            assertThat(again.tid()).isEqualTo(me.tid());
            assertThat(ts.registeredThreads()).isEqualTo(1);
        }
    }
}
