package dev.taskshared.bpf.asm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds BPF programs in a notation that reads like the instruction set:
 *
 * <pre>{@code
 * Instructions prog = new Asm()
 *         .mov(R6, R1)                     // r6 = r1 (the context)
 *         .ldx(DW, R2, R6, 8)              // r2 = *(u64 *)(r6 +8)
 *         .jeq(R2, 0, "out")               // if r2 == 0 goto out
 *         .call(Helper.KTIME_GET_NS)
 *         .label("out")
 *         .mov(R0, 0)
 *         .exit()
 *         .build();
 * }</pre>
 *
 * Unsuffixed ALU methods are 64-bit ({@code BPF_ALU64}); the {@code 32} forms are {@code BPF_ALU}
 * (they zero the upper half of dst). Jumps name a label; {@link #label} marks the next instruction;
 * offsets are resolved when the program is encoded, so labels may be used before they are placed.
 * Not thread-safe.
 */
public final class Asm {
    private final List<Insn> insns = new ArrayList<>();
    private final Map<String, Integer> labels = new LinkedHashMap<>();

    /** Marks the next instruction with {@code name}. */
    public Asm label(String name) {
        if (labels.putIfAbsent(name, insns.size()) != null) {
            throw new IllegalArgumentException("label '" + name + "' is already placed");
        }
        return this;
    }

    /** Appends a raw instruction. */
    public Asm insn(Insn insn) {
        insns.add(insn);
        return this;
    }

    /** Appends another sequence; its labels keep their names (they must not clash with ours). */
    public Asm append(Instructions other) {
        int base = insns.size();
        other.labels().forEach((name, index) -> {
            if (labels.putIfAbsent(name, base + index) != null) {
                throw new IllegalArgumentException("label '" + name + "' is already placed");
            }
        });
        insns.addAll(other.insns());
        return this;
    }

    /** Number of instructions so far (not slots). */
    public int size() {
        return insns.size();
    }

    /**
     * The program. Labels must each mark an instruction; references to labels that were never
     * placed are reported by {@link Instructions#encode()}.
     */
    public Instructions build() {
        labels.forEach((name, index) -> {
            if (index >= insns.size()) {
                throw new IllegalArgumentException("label '" + name + "' marks no instruction (it is at the end)");
            }
        });
        return new Instructions(insns, labels);
    }

    // ---------------------------------------------------------------------------------- ALU

    public Asm alu(AluOp op, Reg dst, Reg src) {
        return insn(new Insn(OpClass.ALU64.value | op.value | Source.X.value, dst, src, 0, 0));
    }

    public Asm alu(AluOp op, Reg dst, int imm) {
        return insn(new Insn(OpClass.ALU64.value | op.value | Source.K.value, dst, Reg.R0, 0, imm));
    }

    public Asm alu32(AluOp op, Reg dst, Reg src) {
        return insn(new Insn(OpClass.ALU.value | op.value | Source.X.value, dst, src, 0, 0));
    }

    public Asm alu32(AluOp op, Reg dst, int imm) {
        return insn(new Insn(OpClass.ALU.value | op.value | Source.K.value, dst, Reg.R0, 0, imm));
    }

    /** dst = -dst (64-bit). */
    public Asm neg(Reg dst) {
        return alu(AluOp.NEG, dst, 0);
    }

    /** Byte swap: dst = to big-endian (or little-endian) {@code bits} of dst; bits 16, 32 or 64. */
    public Asm endian(Reg dst, boolean bigEndian, int bits) {
        return insn(new Insn(OpClass.ALU.value | AluOp.END.value | (bigEndian ? Source.X.value : Source.K.value), dst, Reg.R0, 0, bits));
    }

    public Asm add(Reg dst, Reg src) {
        return alu(AluOp.ADD, dst, src);
    }

    public Asm add(Reg dst, int imm) {
        return alu(AluOp.ADD, dst, imm);
    }

    public Asm add32(Reg dst, Reg src) {
        return alu32(AluOp.ADD, dst, src);
    }

    public Asm add32(Reg dst, int imm) {
        return alu32(AluOp.ADD, dst, imm);
    }

    public Asm sub(Reg dst, Reg src) {
        return alu(AluOp.SUB, dst, src);
    }

    public Asm sub(Reg dst, int imm) {
        return alu(AluOp.SUB, dst, imm);
    }

    public Asm sub32(Reg dst, Reg src) {
        return alu32(AluOp.SUB, dst, src);
    }

    public Asm sub32(Reg dst, int imm) {
        return alu32(AluOp.SUB, dst, imm);
    }

    public Asm mul(Reg dst, Reg src) {
        return alu(AluOp.MUL, dst, src);
    }

    public Asm mul(Reg dst, int imm) {
        return alu(AluOp.MUL, dst, imm);
    }

    public Asm mul32(Reg dst, Reg src) {
        return alu32(AluOp.MUL, dst, src);
    }

    public Asm mul32(Reg dst, int imm) {
        return alu32(AluOp.MUL, dst, imm);
    }

    public Asm div(Reg dst, Reg src) {
        return alu(AluOp.DIV, dst, src);
    }

    public Asm div(Reg dst, int imm) {
        return alu(AluOp.DIV, dst, imm);
    }

    public Asm div32(Reg dst, Reg src) {
        return alu32(AluOp.DIV, dst, src);
    }

    public Asm div32(Reg dst, int imm) {
        return alu32(AluOp.DIV, dst, imm);
    }

    public Asm mod(Reg dst, Reg src) {
        return alu(AluOp.MOD, dst, src);
    }

    public Asm mod(Reg dst, int imm) {
        return alu(AluOp.MOD, dst, imm);
    }

    public Asm mod32(Reg dst, Reg src) {
        return alu32(AluOp.MOD, dst, src);
    }

    public Asm mod32(Reg dst, int imm) {
        return alu32(AluOp.MOD, dst, imm);
    }

    public Asm or(Reg dst, Reg src) {
        return alu(AluOp.OR, dst, src);
    }

    public Asm or(Reg dst, int imm) {
        return alu(AluOp.OR, dst, imm);
    }

    public Asm or32(Reg dst, Reg src) {
        return alu32(AluOp.OR, dst, src);
    }

    public Asm or32(Reg dst, int imm) {
        return alu32(AluOp.OR, dst, imm);
    }

    public Asm and(Reg dst, Reg src) {
        return alu(AluOp.AND, dst, src);
    }

    public Asm and(Reg dst, int imm) {
        return alu(AluOp.AND, dst, imm);
    }

    public Asm and32(Reg dst, Reg src) {
        return alu32(AluOp.AND, dst, src);
    }

    public Asm and32(Reg dst, int imm) {
        return alu32(AluOp.AND, dst, imm);
    }

    public Asm xor(Reg dst, Reg src) {
        return alu(AluOp.XOR, dst, src);
    }

    public Asm xor(Reg dst, int imm) {
        return alu(AluOp.XOR, dst, imm);
    }

    public Asm xor32(Reg dst, Reg src) {
        return alu32(AluOp.XOR, dst, src);
    }

    public Asm xor32(Reg dst, int imm) {
        return alu32(AluOp.XOR, dst, imm);
    }

    public Asm lsh(Reg dst, Reg src) {
        return alu(AluOp.LSH, dst, src);
    }

    public Asm lsh(Reg dst, int imm) {
        return alu(AluOp.LSH, dst, imm);
    }

    public Asm lsh32(Reg dst, Reg src) {
        return alu32(AluOp.LSH, dst, src);
    }

    public Asm lsh32(Reg dst, int imm) {
        return alu32(AluOp.LSH, dst, imm);
    }

    public Asm rsh(Reg dst, Reg src) {
        return alu(AluOp.RSH, dst, src);
    }

    public Asm rsh(Reg dst, int imm) {
        return alu(AluOp.RSH, dst, imm);
    }

    public Asm rsh32(Reg dst, Reg src) {
        return alu32(AluOp.RSH, dst, src);
    }

    public Asm rsh32(Reg dst, int imm) {
        return alu32(AluOp.RSH, dst, imm);
    }

    public Asm arsh(Reg dst, Reg src) {
        return alu(AluOp.ARSH, dst, src);
    }

    public Asm arsh(Reg dst, int imm) {
        return alu(AluOp.ARSH, dst, imm);
    }

    public Asm arsh32(Reg dst, Reg src) {
        return alu32(AluOp.ARSH, dst, src);
    }

    public Asm arsh32(Reg dst, int imm) {
        return alu32(AluOp.ARSH, dst, imm);
    }

    public Asm mov(Reg dst, Reg src) {
        return alu(AluOp.MOV, dst, src);
    }

    public Asm mov(Reg dst, int imm) {
        return alu(AluOp.MOV, dst, imm);
    }

    public Asm mov32(Reg dst, Reg src) {
        return alu32(AluOp.MOV, dst, src);
    }

    public Asm mov32(Reg dst, int imm) {
        return alu32(AluOp.MOV, dst, imm);
    }
    // ------------------------------------------------------------------------ 64-bit loads

    /** dst = imm, the two-slot 64-bit immediate load. */
    public Asm ldImm64(Reg dst, long imm) {
        return insn(new Insn(OpClass.LD.value | AddressMode.IMM.value | Size.DW.value, dst, Reg.R0, 0, imm));
    }

    /** dst = the map (a pointer the helpers accept): a 64-bit load with src BPF_PSEUDO_MAP_FD. */
    public Asm ldMap(Reg dst, MapRef map) {
        return insn(new Insn(OpClass.LD.value | AddressMode.IMM.value | Size.DW.value, dst, Reg.of(Insn.PSEUDO_MAP_FD), (short) 0,
                map.fd(), map.name() == null || map.name().isEmpty() ? null : map.name()));
    }

    /** dst = the map open as {@code fd}. */
    public Asm ldMapFd(Reg dst, int fd) {
        return insn(new Insn(OpClass.LD.value | AddressMode.IMM.value | Size.DW.value, dst, Reg.of(Insn.PSEUDO_MAP_FD), 0, fd));
    }

    // ------------------------------------------------------------------ loads and stores

    /** dst = *(size *)(src + off). */
    public Asm ldx(Size size, Reg dst, Reg src, int off) {
        return insn(new Insn(OpClass.LDX.value | AddressMode.MEM.value | size.value, dst, src, off, 0));
    }

    /** *(size *)(dst + off) = src. */
    public Asm stx(Size size, Reg dst, int off, Reg src) {
        return insn(new Insn(OpClass.STX.value | AddressMode.MEM.value | size.value, dst, src, off, 0));
    }

    /** *(size *)(dst + off) = imm (sign-extended to the size). */
    public Asm st(Size size, Reg dst, int off, int imm) {
        return insn(new Insn(OpClass.ST.value | AddressMode.MEM.value | size.value, dst, Reg.R0, off, imm));
    }

    // --------------------------------------------------------------------------- atomics

    /** An atomic read-modify-write of {@code *(size *)(dst + off)} with src; size W or DW. */
    public Asm atomic(AtomicOp op, Size size, Reg dst, int off, Reg src) {
        if (size != Size.W && size != Size.DW) {
            throw new IllegalArgumentException("atomics are 32 or 64 bits, not " + size);
        }
        return insn(new Insn(OpClass.STX.value | AddressMode.ATOMIC.value | size.value, dst, src, off, op.imm));
    }

    /** lock *(size *)(dst + off) += src. */
    public Asm atomicAdd(Size size, Reg dst, int off, Reg src) {
        return atomic(AtomicOp.ADD, size, dst, off, src);
    }

    /** src = fetch-and-add(*(size *)(dst + off), src). */
    public Asm atomicFetchAdd(Size size, Reg dst, int off, Reg src) {
        return atomic(AtomicOp.FETCH_ADD, size, dst, off, src);
    }

    /** src = exchange(*(size *)(dst + off), src). */
    public Asm atomicXchg(Size size, Reg dst, int off, Reg src) {
        return atomic(AtomicOp.XCHG, size, dst, off, src);
    }

    /** r0 = compare-and-exchange(*(size *)(dst + off), expected r0, new src): r0 receives the old value. */
    public Asm atomicCmpxchg(Size size, Reg dst, int off, Reg src) {
        return atomic(AtomicOp.CMPXCHG, size, dst, off, src);
    }

    // ----------------------------------------------------------------------------- jumps

    /** goto label. */
    public Asm ja(String label) {
        return insn(new Insn(OpClass.JMP.value | JmpOp.JA.value, Reg.R0, Reg.R0, (short) 0, 0, label));
    }

    /** if dst OP imm goto label (64-bit compare). */
    public Asm jmp(JmpOp op, Reg dst, int imm, String label) {
        return insn(new Insn(OpClass.JMP.value | conditional(op).value | Source.K.value, dst, Reg.R0, (short) 0, imm, label));
    }

    /** if dst OP src goto label (64-bit compare). */
    public Asm jmp(JmpOp op, Reg dst, Reg src, String label) {
        return insn(new Insn(OpClass.JMP.value | conditional(op).value | Source.X.value, dst, src, (short) 0, 0, label));
    }

    /** if wdst OP imm goto label (32-bit compare). */
    public Asm jmp32(JmpOp op, Reg dst, int imm, String label) {
        return insn(new Insn(OpClass.JMP32.value | conditional(op).value | Source.K.value, dst, Reg.R0, (short) 0, imm, label));
    }

    /** if wdst OP wsrc goto label (32-bit compare). */
    public Asm jmp32(JmpOp op, Reg dst, Reg src, String label) {
        return insn(new Insn(OpClass.JMP32.value | conditional(op).value | Source.X.value, dst, src, (short) 0, 0, label));
    }

    private static JmpOp conditional(JmpOp op) {
        if (!op.isConditional()) {
            throw new IllegalArgumentException(op + " is not a conditional jump");
        }
        return op;
    }

    public Asm jeq(Reg dst, int imm, String label) {
        return jmp(JmpOp.JEQ, dst, imm, label);
    }

    public Asm jeq(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JEQ, dst, src, label);
    }

    public Asm jeq32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JEQ, dst, imm, label);
    }

    public Asm jne(Reg dst, int imm, String label) {
        return jmp(JmpOp.JNE, dst, imm, label);
    }

    public Asm jne(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JNE, dst, src, label);
    }

    public Asm jne32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JNE, dst, imm, label);
    }

    public Asm jgt(Reg dst, int imm, String label) {
        return jmp(JmpOp.JGT, dst, imm, label);
    }

    public Asm jgt(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JGT, dst, src, label);
    }

    public Asm jgt32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JGT, dst, imm, label);
    }

    public Asm jge(Reg dst, int imm, String label) {
        return jmp(JmpOp.JGE, dst, imm, label);
    }

    public Asm jge(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JGE, dst, src, label);
    }

    public Asm jge32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JGE, dst, imm, label);
    }

    public Asm jlt(Reg dst, int imm, String label) {
        return jmp(JmpOp.JLT, dst, imm, label);
    }

    public Asm jlt(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JLT, dst, src, label);
    }

    public Asm jlt32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JLT, dst, imm, label);
    }

    public Asm jle(Reg dst, int imm, String label) {
        return jmp(JmpOp.JLE, dst, imm, label);
    }

    public Asm jle(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JLE, dst, src, label);
    }

    public Asm jle32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JLE, dst, imm, label);
    }

    public Asm jset(Reg dst, int imm, String label) {
        return jmp(JmpOp.JSET, dst, imm, label);
    }

    public Asm jset(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JSET, dst, src, label);
    }

    public Asm jset32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JSET, dst, imm, label);
    }

    public Asm jsgt(Reg dst, int imm, String label) {
        return jmp(JmpOp.JSGT, dst, imm, label);
    }

    public Asm jsgt(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JSGT, dst, src, label);
    }

    public Asm jsgt32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JSGT, dst, imm, label);
    }

    public Asm jsge(Reg dst, int imm, String label) {
        return jmp(JmpOp.JSGE, dst, imm, label);
    }

    public Asm jsge(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JSGE, dst, src, label);
    }

    public Asm jsge32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JSGE, dst, imm, label);
    }

    public Asm jslt(Reg dst, int imm, String label) {
        return jmp(JmpOp.JSLT, dst, imm, label);
    }

    public Asm jslt(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JSLT, dst, src, label);
    }

    public Asm jslt32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JSLT, dst, imm, label);
    }

    public Asm jsle(Reg dst, int imm, String label) {
        return jmp(JmpOp.JSLE, dst, imm, label);
    }

    public Asm jsle(Reg dst, Reg src, String label) {
        return jmp(JmpOp.JSLE, dst, src, label);
    }

    public Asm jsle32(Reg dst, int imm, String label) {
        return jmp32(JmpOp.JSLE, dst, imm, label);
    }
    // ----------------------------------------------------------------------- call, exit

    /** Calls a helper; arguments in R1-R5, result in R0; R1-R5 are clobbered. */
    public Asm call(Helper helper) {
        return call(helper.id);
    }

    /** Calls helper number {@code id}. */
    public Asm call(int id) {
        return insn(new Insn(OpClass.JMP.value | JmpOp.CALL.value, Reg.R0, Reg.R0, 0, id));
    }

    /**
     * Calls kernel function {@code name} (a kfunc) by {@code btfId}, its FUNC's id in the kernel's
     * own BTF ({@code Btf.vmlinux()}); arguments in R1-R5, result in R0; R1-R5 are clobbered. The
     * verifier checks the call against the function's prototype and flags: a pointer a kfunc
     * acquires must be released on every path, one it may return null must be tested first.
     */
    public Asm callKernel(String name, int btfId) {
        return insn(new Insn(OpClass.JMP.value | JmpOp.CALL.value, Reg.R0, Reg.of(Insn.PSEUDO_KFUNC_CALL), (short) 0, btfId, name));
    }

    /** Returns R0. */
    public Asm exit() {
        return insn(new Insn(OpClass.JMP.value | JmpOp.EXIT.value, Reg.R0, Reg.R0, 0, 0));
    }

    // ---------------------------------------------------------------------------- macros

    /** dst = r10 + fpOff: a pointer into the stack ({@code fpOff} negative, at least -512). */
    public Asm stackPtr(Reg dst, int fpOff) {
        return mov(dst, Reg.R10).add(dst, fpOff);
    }

    /**
     * r0 = bpf_map_lookup_elem(map, r10 + keyFpOff): the key must already be on the stack. r0 is
     * a pointer to the value or 0; R1-R5 are clobbered.
     */
    public Asm mapLookup(MapRef map, int keyFpOff) {
        return ldMap(Reg.R1, map).stackPtr(Reg.R2, keyFpOff).call(Helper.MAP_LOOKUP_ELEM);
    }

    /**
     * r0 = bpf_probe_read_kernel(dstPtr, size, srcPtr + srcOff): copies {@code size} bytes of
     * kernel memory, for example a field at a BTF offset of a {@code task_struct}. dstPtr points
     * into the stack or a map value; r0 is 0 or -errno (the destination is zeroed on failure).
     * R1-R5 are clobbered; dstPtr must not be r3.
     */
    public Asm probeReadKernel(Reg dstPtr, int size, Reg srcPtr, int srcOff) {
        return probeReadKernel(dstPtr, 0, size, srcPtr, srcOff);
    }

    /** r0 = bpf_probe_read_kernel(dstPtr + dstOff, size, srcPtr + srcOff); see {@link #probeReadKernel(Reg, int, Reg, int)}. */
    public Asm probeReadKernel(Reg dstPtr, int dstOff, int size, Reg srcPtr, int srcOff) {
        if (dstPtr == Reg.R3) {
            throw new IllegalArgumentException("probeReadKernel: dstPtr must not be r3 (it carries the source)");
        }
        if (srcPtr != Reg.R3) {
            mov(Reg.R3, srcPtr); // before r1 is overwritten, in case srcPtr is r1
        }
        if (dstPtr != Reg.R1) {
            mov(Reg.R1, dstPtr);
        }
        if (dstOff != 0) {
            add(Reg.R1, dstOff);
        }
        if (srcOff != 0) {
            add(Reg.R3, srcOff);
        }
        return mov(Reg.R2, size).call(Helper.PROBE_READ_KERNEL);
    }
}
