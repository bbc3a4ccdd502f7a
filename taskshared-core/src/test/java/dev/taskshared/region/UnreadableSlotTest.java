package dev.taskshared.region;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.StatsSnapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** A reader never spins without bound: a slot whose writer died mid-write is reported, not waited on forever. */
class UnreadableSlotTest {

    @Test
    void aSequenceStuckOddIsReportedWithinTheBound() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE);
            SlotWriter.claim(slot, 4242, 1);
            SlotWriter.begin(slot); // a writer that never ends its write
            long started = System.nanoTime();
            assertThatThrownBy(() -> new StatsSnapshot().readSlot(slot))
                    .isInstanceOf(SlotUnreadableException.class)
                    .hasMessageContaining("slot of thread 4242 is unreadable")
                    .hasMessageContaining("odd");
            long tookNanos = System.nanoTime() - started;
            assertThat(tookNanos).as("bounded").isBetween(SlotReader.GIVE_UP_NANOS, 5 * SlotReader.GIVE_UP_NANOS);
        }
    }

    @Test
    void aSettledSlotReadsAtOnce() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE);
            SlotWriter.claim(slot, 7, 1);
            int seq = SlotWriter.begin(slot);
            SlotWriter.putLong(slot, SlotLayout.SUM_EXEC_RUNTIME_NS, 99);
            SlotWriter.end(slot, seq);
            assertThat(new StatsSnapshot().readSlot(slot).sumExecRuntimeNanos()).isEqualTo(99);
        }
    }
}
