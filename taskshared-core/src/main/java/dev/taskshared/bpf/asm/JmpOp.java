package dev.taskshared.bpf.asm;

/** Jump operations (bits 4-7 of the opcode), with their comparison for the disassembler. */
public enum JmpOp {
    JA(0x00, null), JEQ(0x10, "=="), JGT(0x20, ">"), JGE(0x30, ">="), JSET(0x40, "&"), JNE(0x50, "!="),
    JSGT(0x60, "s>"), JSGE(0x70, "s>="), CALL(0x80, null), EXIT(0x90, null), JLT(0xa0, "<"), JLE(0xb0, "<="),
    JSLT(0xc0, "s<"), JSLE(0xd0, "s<=");

    public final int value;
    final String symbol;

    JmpOp(int value, String symbol) {
        this.value = value;
        this.symbol = symbol;
    }

    public static JmpOp of(int opcode) {
        return values()[(opcode & 0xf0) >> 4];
    }

    /** True for the conditional jumps (those with a comparison). */
    public boolean isConditional() {
        return symbol != null;
    }
}
