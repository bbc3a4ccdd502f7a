package dev.taskshared.bpf.asm;

/**
 * Operations of {@code BPF_ATOMIC} instructions, encoded in the immediate. The {@code FETCH}
 * forms return the old value in the src register; CMPXCHG compares with R0 and returns the old
 * value in R0.
 */
public enum AtomicOp {
    ADD(0x00, "+="), OR(0x40, "|="), AND(0x50, "&="), XOR(0xa0, "^="),
    FETCH_ADD(0x01, "+="), FETCH_OR(0x41, "|="), FETCH_AND(0x51, "&="), FETCH_XOR(0xa1, "^="),
    XCHG(0xe1, "xchg"), CMPXCHG(0xf1, "cmpxchg");

    /** BPF_FETCH. */
    public static final int FETCH = 0x01;

    public final int imm;
    final String symbol;

    AtomicOp(int imm, String symbol) {
        this.imm = imm;
        this.symbol = symbol;
    }

    public boolean fetches() {
        return (imm & FETCH) != 0;
    }

    public static AtomicOp of(int imm) {
        for (AtomicOp op : values()) {
            if (op.imm == imm) {
                return op;
            }
        }
        throw new IllegalArgumentException(String.format("unknown atomic op 0x%x", imm));
    }
}
