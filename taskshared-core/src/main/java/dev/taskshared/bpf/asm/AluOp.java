package dev.taskshared.bpf.asm;

/** ALU operations (bits 4-7 of the opcode), with their C operator for the disassembler. */
public enum AluOp {
    ADD(0x00, "+="), SUB(0x10, "-="), MUL(0x20, "*="), DIV(0x30, "/="), OR(0x40, "|="), AND(0x50, "&="),
    LSH(0x60, "<<="), RSH(0x70, ">>="), NEG(0x80, "= -"), MOD(0x90, "%="), XOR(0xa0, "^="), MOV(0xb0, "="),
    ARSH(0xc0, "s>>="), END(0xd0, "endian");

    public final int value;
    final String symbol;

    AluOp(int value, String symbol) {
        this.value = value;
        this.symbol = symbol;
    }

    public static AluOp of(int opcode) {
        return values()[(opcode & 0xf0) >> 4];
    }
}
