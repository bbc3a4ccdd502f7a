package dev.taskshared.bpf.asm;

/** Instruction class, the low three bits of an opcode. */
public enum OpClass {
    LD(0x00), LDX(0x01), ST(0x02), STX(0x03), ALU(0x04), JMP(0x05), JMP32(0x06), ALU64(0x07);

    public final int value;

    OpClass(int value) {
        this.value = value;
    }

    public static OpClass of(int opcode) {
        return values()[opcode & 0x07];
    }

    public boolean isAlu() {
        return this == ALU || this == ALU64;
    }

    public boolean isJump() {
        return this == JMP || this == JMP32;
    }

    public boolean isLoadStore() {
        return this == LD || this == LDX || this == ST || this == STX;
    }
}
