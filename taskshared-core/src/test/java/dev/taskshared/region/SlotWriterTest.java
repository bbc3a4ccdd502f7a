package dev.taskshared.region;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.StatsSnapshot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Claiming a slot starts a registration afresh: nothing of the previous thread's survives. */
class SlotWriterTest {

    @Test
    void aReusedSlotDoesNotLookExitedNorKeepItsNumbers() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE);
            slot.fill((byte) 0x5a); // the previous thread's numbers, exited
            slot.set(ValueLayout.JAVA_INT, SlotLayout.STATE, SlotLayout.STATE_EXITED);
            slot.set(ValueLayout.JAVA_INT, SlotLayout.SEQ, 2);
            SlotWriter.claim(slot, 77, 123);
            StatsSnapshot s = new StatsSnapshot().readSlot(slot);
            assertThat(s.exited()).isFalse();
            assertThat(s.tid()).isEqualTo(77);
            assertThat(s.sumExecRuntimeNanos()).isZero();
            assertThat(s.utimeNanos()).isZero();
            assertThat(s.stimeNanos()).isZero();
            assertThat(s.registeredAtNanos()).isEqualTo(123);
        }
    }
}
