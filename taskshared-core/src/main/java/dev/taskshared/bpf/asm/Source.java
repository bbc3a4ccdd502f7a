package dev.taskshared.bpf.asm;

/** Operand source of ALU and jump instructions (bit 3): the immediate (K) or the src register (X). */
public enum Source {
    K(0x00), X(0x08);

    public final int value;

    Source(int value) {
        this.value = value;
    }

    public static Source of(int opcode) {
        return (opcode & 0x08) != 0 ? X : K;
    }
}
