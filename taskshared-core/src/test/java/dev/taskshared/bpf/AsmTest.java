package dev.taskshared.bpf;

import static dev.taskshared.bpf.asm.Reg.R0;
import static dev.taskshared.bpf.asm.Reg.R1;
import static dev.taskshared.bpf.asm.Reg.R10;
import static dev.taskshared.bpf.asm.Reg.R2;
import static dev.taskshared.bpf.asm.Reg.R6;
import static dev.taskshared.bpf.asm.Size.DW;
import static dev.taskshared.bpf.asm.Size.W;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.AtomicOp;
import dev.taskshared.bpf.asm.Helper;
import dev.taskshared.bpf.asm.Insn;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.asm.MapRef;
import java.util.HexFormat;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AsmTest {
    private static final MapRef MAP5 = MapRef.of(5, "");

    private static Arguments golden(Consumer<Asm> build, String hex, String text) {
        return Arguments.of(build, hex, text);
    }

    static Stream<Arguments> goldens() {
        return Stream.of(
                golden(a -> a.mov(R0, 0), "b700000000000000", "r0 = 0"),
                golden(Asm::exit, "9500000000000000", "exit"),
                golden(a -> a.mov(R6, R1), "bf16000000000000", "r6 = r1"),
                golden(a -> a.mov32(R0, 1), "b400000001000000", "w0 = 1"),
                golden(a -> a.add(R1, -8), "07010000f8ffffff", "r1 += -8"),
                golden(a -> a.sub32(R2, R6), "1c62000000000000", "w2 -= w6"),
                golden(a -> a.lsh(R1, 32), "6701000020000000", "r1 <<= 32"),
                golden(a -> a.neg(R2), "8702000000000000", "r2 = -r2"),
                golden(a -> a.ldImm64(R1, 0x1122334455667788L), "1801000088776655" + "0000000044332211",
                        "r1 = 0x1122334455667788 ll"),
                golden(a -> a.ldMap(R1, MAP5), "1811000005000000" + "0000000000000000", "r1 = map[fd:5]"),
                golden(a -> a.ldx(DW, R2, R1, 8), "7912080000000000", "r2 = *(u64 *)(r1 +8)"),
                golden(a -> a.ldx(W, R0, R6, 4), "6160040000000000", "r0 = *(u32 *)(r6 +4)"),
                golden(a -> a.stx(DW, R10, -8, R1), "7b1af8ff00000000", "*(u64 *)(r10 -8) = r1"),
                golden(a -> a.st(W, R10, -4, 7), "620afcff07000000", "*(u32 *)(r10 -4) = 7"),
                golden(a -> a.atomicAdd(DW, R0, 0, R1), "db10000000000000", "lock *(u64 *)(r0 +0) += r1"),
                golden(a -> a.atomicAdd(W, R0, 16, R1), "c310100000000000", "lock *(u32 *)(r0 +16) += w1"),
                golden(a -> a.atomicFetchAdd(DW, R0, 0, R1), "db10000001000000", "r1 = atomic64_fetch_add((u64 *)(r0 +0), r1)"),
                golden(a -> a.atomic(AtomicOp.FETCH_OR, DW, R0, 8, R1), "db10080041000000", "r1 = atomic64_fetch_or((u64 *)(r0 +8), r1)"),
                golden(a -> a.atomicXchg(DW, R0, 0, R2), "db200000e1000000", "r2 = atomic64_xchg((u64 *)(r0 +0), r2)"),
                golden(a -> a.atomicCmpxchg(DW, R6, 0, R2), "db260000f1000000", "r0 = atomic64_cmpxchg((u64 *)(r6 +0), r0, r2)"),
                golden(a -> a.call(Helper.MAP_LOOKUP_ELEM), "8500000001000000", "call map_lookup_elem#1"),
                golden(a -> a.call(Helper.PROBE_READ_KERNEL), "8500000071000000", "call probe_read_kernel#113"),
                golden(a -> a.call(Helper.RINGBUF_OUTPUT), "8500000082000000", "call ringbuf_output#130"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("goldens")
    void encodesAndDisassembles(Consumer<Asm> build, String hex, String text) {
        Asm a = new Asm();
        build.accept(a);
        Instructions prog = a.build();
        assertThat(HexFormat.of().formatHex(prog.encode())).isEqualTo(hex);
        assertThat(prog.insns()).hasSize(1);
        assertThat(prog.insns().get(0)).hasToString(text);
        // decoding gives the same instruction back
        assertThat(Instructions.decode(prog.encode()).insns()).containsExactlyElementsOf(prog.resolved());
    }

    @Test
    void ldImm64TakesTwoSlots() {
        Instructions prog = new Asm().ldImm64(R1, -1L).exit().build();
        assertThat(prog.insns()).hasSize(2);
        assertThat(prog.slotCount()).isEqualTo(3);
        assertThat(prog.encode()).hasSize(24);
    }

    @Test
    void resolvesForwardAndBackwardJumpsCountingSlots() {
        Instructions prog = new Asm()
                .mov(R0, 0)                 // slot 0
                .ldImm64(R1, 1)             // slots 1-2
                .jeq(R1, 0, "end")          // slot 3 -> 6: +2
                .label("loop")
                .add(R0, 1)                 // slot 4
                .jlt(R0, 10, "loop")        // slot 5 -> 4: -2
                .label("end")
                .exit()                     // slot 6
                .build();
        assertThat(HexFormat.of().formatHex(prog.encode())).isEqualTo(
                "b700000000000000"
                        + "1801000001000000" + "0000000000000000"
                        + "1501020000000000"
                        + "0700000001000000"
                        + "a500feff0a000000"
                        + "9500000000000000");
        assertThat(prog.resolved().get(2)).hasToString("if r1 == 0x0 goto pc+2");
        assertThat(prog.resolved().get(4)).hasToString("if r0 < 0xa goto pc-2");
        assertThat(prog.insns().get(2)).hasToString("if r1 == 0x0 goto end");
        assertThat(prog.toString()).contains("loop:\n   4: r0 += 1", "   5: if r0 < 0xa goto loop", "end:\n   6: exit");
    }

    @Test
    void jaAndRegisterJumps() {
        Instructions prog = new Asm().label("top").jne(R1, R2, "top").ja("top").exit().build();
        assertThat(HexFormat.of().formatHex(prog.encode())).isEqualTo("5d21ffff00000000" + "0500feff00000000" + "9500000000000000");
        assertThat(prog.resolved().get(0)).hasToString("if r1 != r2 goto pc-1");
        assertThat(prog.resolved().get(1)).hasToString("goto pc-2");
    }

    @Test
    void unknownLabelIsAClearError() {
        Instructions prog = new Asm().jeq(R1, 0, "nowhere").exit().build();
        assertThatThrownBy(prog::encode).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown label 'nowhere'").hasMessageContaining("instruction 0");
    }

    @Test
    void duplicateAndDanglingLabelsAreErrors() {
        assertThatThrownBy(() -> new Asm().label("a").exit().label("a")).hasMessageContaining("label 'a' is already placed");
        assertThatThrownBy(() -> new Asm().exit().label("end").build()).hasMessageContaining("marks no instruction");
    }

    @Test
    void immediateMustFit32BitsOutsideLdImm64() {
        assertThatThrownBy(() -> new Insn(0xb7, R0, R0, 0, 1L << 40)).hasMessageContaining("ldImm64");
    }

    @Test
    void kernelFunctionCallCarriesItsBtfIdUnderThePseudoSource() {
        Instructions prog = new Asm().callKernel("bpf_task_release", 12345).build();
        // 0x85 = JMP | CALL; src 2 = BPF_PSEUDO_KFUNC_CALL; off 0 = vmlinux's BTF; imm = the FUNC's id
        assertThat(HexFormat.of().formatHex(prog.encode())).isEqualTo("8520000039300000");
        assertThat(prog.insns().get(0)).hasToString("call kfunc bpf_task_release#12345");
    }

    @Test
    void probeReadKernelMacroSetsArgumentsInOrder() {
        Instructions prog = new Asm().probeReadKernel(R6, 8, R1, 1234).build();
        assertThat(prog.insns()).extracting(Object::toString)
                .containsExactly("r3 = r1", "r1 = r6", "r3 += 1234", "r2 = 8", "call probe_read_kernel#113");
    }
}
