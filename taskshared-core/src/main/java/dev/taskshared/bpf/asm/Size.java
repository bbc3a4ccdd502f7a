package dev.taskshared.bpf.asm;

/** Access size of loads, stores and atomics (bits 3-4 of the opcode). */
public enum Size {
    W(0x00, 4, "u32"), H(0x08, 2, "u16"), B(0x10, 1, "u8"), DW(0x18, 8, "u64");

    public final int value;
    public final int bytes;
    final String cType;

    Size(int value, int bytes, String cType) {
        this.value = value;
        this.bytes = bytes;
        this.cType = cType;
    }

    public static Size of(int opcode) {
        int v = opcode & 0x18;
        for (Size s : values()) {
            if (s.value == v) {
                return s;
            }
        }
        throw new AssertionError();
    }

    /** The size of {@code bytes} bytes: 1, 2, 4 or 8. */
    public static Size ofBytes(int bytes) {
        return switch (bytes) {
            case 1 -> B;
            case 2 -> H;
            case 4 -> W;
            case 8 -> DW;
            default -> throw new IllegalArgumentException("no BPF access size of " + bytes + " bytes");
        };
    }
}
