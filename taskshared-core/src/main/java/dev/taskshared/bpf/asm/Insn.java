package dev.taskshared.bpf.asm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One BPF instruction, {@code struct bpf_insn}:
 *
 * <pre>
 *  byte 0: opcode   byte 1: dst (low nibble) | src (high nibble)   bytes 2-3: s16 off   bytes 4-7: s32 imm
 * </pre>
 *
 * A 64-bit immediate load ({@link #isLdImm64()}) takes two slots: the second carries the high 32
 * bits of {@code imm} in its imm field and zeros elsewhere; this record holds all 64 bits in
 * {@code imm} and {@link #encodeTo} writes both slots. {@code src} doubles as the pseudo-source of
 * the encoding where the instruction set says so (for example 1 = {@code BPF_PSEUDO_MAP_FD} on a
 * 64-bit load); {@code reference} is the symbolic jump target (a label, resolved when a program
 * is encoded) or a map name for the disassembler, or null.
 */
public record Insn(int opcode, Reg dst, Reg src, short off, long imm, String reference) {
    /** Encoded size of one slot in bytes. */
    public static final int SLOT_SIZE = 8;
    /** src of a 64-bit load whose imm is a map file descriptor. */
    public static final int PSEUDO_MAP_FD = 1;
    /** src of a 64-bit load whose imm is a map fd and whose second imm is an offset in its value. */
    public static final int PSEUDO_MAP_VALUE = 2;
    /** src of a call to a BPF-to-BPF function (imm = relative target). */
    public static final int PSEUDO_CALL = 1;
    /** src of a call to a kernel function, a kfunc (imm = its BTF id in vmlinux, off = 0). */
    public static final int PSEUDO_KFUNC_CALL = 2;
    private static final int LD_IMM64 = 0x18; // BPF_LD | BPF_IMM | BPF_DW

    public Insn {
        if (opcode < 0 || opcode > 0xff) {
            throw new IllegalArgumentException("opcode out of range: " + opcode);
        }
        if (dst == null || src == null) {
            throw new NullPointerException("register");
        }
        if (opcode != LD_IMM64 && (imm < Integer.MIN_VALUE || imm > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("imm " + imm + " does not fit 32 bits; use a 64-bit load (ldImm64)");
        }
    }

    public Insn(int opcode, Reg dst, Reg src, int off, long imm) {
        this(opcode, dst, src, checkedOff(off), imm, null);
    }

    static short checkedOff(int off) {
        if (off < Short.MIN_VALUE || off > Short.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + off + " does not fit 16 bits");
        }
        return (short) off;
    }

    public OpClass opClass() {
        return OpClass.of(opcode);
    }

    /** True for {@code BPF_LD | BPF_IMM | BPF_DW}, the two-slot instruction. */
    public boolean isLdImm64() {
        return opcode == LD_IMM64;
    }

    /** True for a 64-bit load of a map file descriptor. */
    public boolean isMapFdLoad() {
        return isLdImm64() && src.number() == PSEUDO_MAP_FD;
    }

    /** True for a jump that has a target (conditional jumps and JA), as opposed to call and exit. */
    public boolean isBranch() {
        if (!opClass().isJump()) {
            return false;
        }
        JmpOp op = JmpOp.of(opcode);
        return op != JmpOp.CALL && op != JmpOp.EXIT;
    }

    /** How many 8-byte slots this instruction takes: 2 for a 64-bit load, else 1. */
    public int slots() {
        return isLdImm64() ? 2 : 1;
    }

    /** A copy jumping {@code off} slots forward (negative: backward), no longer symbolic. */
    public Insn withOffset(int off) {
        return new Insn(opcode, dst, src, checkedOff(off), imm, null);
    }

    /** A copy whose symbolic reference is {@code reference}. */
    public Insn withReference(String reference) {
        return new Insn(opcode, dst, src, off, imm, reference);
    }

    /** Writes the little-endian encoding ({@link #slots()} x 8 bytes) at the buffer's position. */
    public void encodeTo(ByteBuffer out) {
        ByteBuffer le = out.order(ByteOrder.LITTLE_ENDIAN);
        le.put((byte) opcode);
        le.put((byte) ((src.number() << 4) | dst.number()));
        le.putShort(off);
        le.putInt((int) imm);
        if (isLdImm64()) {
            le.putLong(0); // second slot: opcode, regs and off all zero ...
            le.putInt(le.position() - 4, (int) (imm >>> 32)); // ... and the high half in its imm
        }
    }

    /** The little-endian encoding. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(slots() * SLOT_SIZE);
        encodeTo(b);
        return b.array();
    }

    /** Decodes the instruction at {@code slot} of {@code code} (little-endian), reading two slots for a 64-bit load. */
    public static Insn decode(byte[] code, int slot) {
        ByteBuffer le = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        int p = slot * SLOT_SIZE;
        int opcode = le.get(p) & 0xff;
        int regs = le.get(p + 1) & 0xff;
        short off = le.getShort(p + 2);
        long imm = le.getInt(p + 4);
        Insn insn = new Insn(opcode, Reg.of(regs & 0xf), Reg.of(regs >>> 4), off, imm, null);
        if (insn.isLdImm64()) {
            long hi = le.getInt(p + 12);
            insn = new Insn(opcode, insn.dst, insn.src, off, (hi << 32) | (imm & 0xffffffffL), null);
        }
        return insn;
    }

    /** The instruction in the verifier's notation, for example {@code r2 = *(u64 *)(r1 +8)}. */
    @Override
    public String toString() {
        return Disassembler.format(this);
    }
}
