package dev.taskshared.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.bpf.asm.AddressMode;
import dev.taskshared.bpf.asm.AtomicOp;
import dev.taskshared.bpf.asm.Insn;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.asm.MapRef;
import dev.taskshared.bpf.asm.OpClass;
import dev.taskshared.bpf.asm.Reg;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.testing.Privileged;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every write of a slot by the programs is bracketed by two increments of its sequence counter,
 * and each is a fetch-and-add: the atomic form the JITs emit fully ordered on every architecture
 * (arm64 emits a plain atomic add as STADD, which would let the slot's stores pass it).
 */
class SequenceOrderingTest {
    private static final MapRef MAP = MapRef.of(1, "test");

    @Test
    void everySequenceBumpIsAFullyOrderedFetchAndAdd() {
        Privileged.require("btf", Btf.vmlinuxAvailable(), "needs /sys/kernel/btf/vmlinux for the kernel's offsets");
        SchedPrograms.Kernel k = SchedPrograms.Kernel.fromBtf(Btf.vmlinux(), true);
        SchedPrograms.Lookup storage = new SchedPrograms.TaskStorageLookup(MAP);
        SchedPrograms.Lookup pages = new SchedPrograms.MapPagesLookup(MAP, MAP, MAP);
        // program -> its slot writes: the switch writes prev's and next's slots, the others one
        Map<Instructions, Integer> writes = Map.of(
                SchedPrograms.schedSwitch(storage, k), 2,
                SchedPrograms.schedSwitch(pages, k), 2,
                SchedPrograms.schedProcessExit(storage, k, MAP, MAP, null), 1,
                SchedPrograms.seed(storage, k), 1,
                SchedPrograms.seedTask(storage, k, SchedPrograms.Kfuncs.fromBtf(Btf.vmlinux()).orElseThrow()), 1);
        writes.forEach((program, n) -> {
            String name = program.toString().lines().findFirst().orElse("") + "...";
            List<Insn> bumps = program.insns().stream()
                    .filter(i -> i.opClass() == OpClass.STX && (i.opcode() & 0xe0) == AddressMode.ATOMIC.value
                            && i.dst() == Reg.R9 && i.off() == SlotLayout.SEQ) // r9: the slot
                    .toList();
            assertThat(bumps).as(name + ": two sequence increments per slot write").hasSize(2 * n);
            assertThat(bumps).as(name).allSatisfy(i -> assertThat(AtomicOp.of((int) i.imm())).isEqualTo(AtomicOp.FETCH_ADD));
        });
    }
}
