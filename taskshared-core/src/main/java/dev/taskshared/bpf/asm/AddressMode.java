package dev.taskshared.bpf.asm;

/** Addressing mode of loads and stores (bits 5-7 of the opcode). */
public enum AddressMode {
    IMM(0x00), ABS(0x20), IND(0x40), MEM(0x60), MEMSX(0x80), ATOMIC(0xc0);

    public final int value;

    AddressMode(int value) {
        this.value = value;
    }

    public static AddressMode of(int opcode) {
        int v = opcode & 0xe0;
        for (AddressMode m : values()) {
            if (m.value == v) {
                return m;
            }
        }
        throw new IllegalArgumentException(String.format("unknown mode 0x%02x", v));
    }
}
