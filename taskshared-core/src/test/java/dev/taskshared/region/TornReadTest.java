package dev.taskshared.region;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.StatsSnapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A writer updates every field of a slot to the same value while readers snapshot it. */
class TornReadTest {

    @Test
    void readersNeverSeeAHalfWrittenSlot() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment slot = arena.allocate(SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE);
            long[] fields = {SlotLayout.SUM_EXEC_RUNTIME_NS, SlotLayout.ON_CPU_SINCE_NS, SlotLayout.RUN_DELAY_NS,
                    SlotLayout.PCOUNT, SlotLayout.OFF_CPU_NS, SlotLayout.NVCSW, SlotLayout.NIVCSW, SlotLayout.MIGRATIONS};
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong torn = new AtomicLong();
            AtomicLong consistent = new AtomicLong();
            Thread writer = Thread.ofPlatform().start(() -> {
                for (long v = 1; !stop.get(); v++) {
                    int seq = SlotWriter.begin(slot);
                    for (long off : fields) {
                        SlotWriter.putLong(slot, off, v);
                    }
                    SlotWriter.end(slot, seq);
                }
            });
            Thread[] readers = new Thread[2];
            for (int r = 0; r < readers.length; r++) {
                readers[r] = Thread.ofPlatform().start(() -> {
                    StatsSnapshot s = new StatsSnapshot();
                    while (!stop.get()) {
                        s.readSlot(slot); // the library's own snapshot path
                        long v = s.sumExecRuntimeNanos();
                        if (s.onCpuSinceNanos() != v || s.runDelayNanos() != v || s.pcount() != v || s.offCpuNanos() != v
                                || s.nvcsw() != v || s.nivcsw() != v || s.migrations() != v) {
                            torn.incrementAndGet();
                        }
                        consistent.incrementAndGet();
                    }
                });
            }
            // Until enough snapshots were taken (a reader retries every read that overlaps a write,
            // and this writer never pauses), or 5 s.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (consistent.get() <= 10_000 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(500);
            stop.set(true);
            writer.join();
            for (Thread r : readers) {
                r.join();
            }
            assertThat(consistent.get()).as("snapshots taken").isGreaterThan(10_000);
            assertThat(torn.get()).as("inconsistent snapshots").isZero();
        }
    }
}
