package dev.taskshared.bpf.asm;

/**
 * The eleven BPF registers. R0 holds return values, R1-R5 are call arguments (clobbered by a
 * call), R6-R9 are callee-saved, R10 is the read-only frame pointer.
 */
public enum Reg {
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10;

    /** The frame pointer, {@link #R10}: the stack is the 512 bytes below it. */
    public static final Reg FP = R10;

    /** Register number as encoded, 0-10. */
    public int number() {
        return ordinal();
    }

    static Reg of(int n) {
        return values()[n];
    }

    @Override
    public String toString() {
        return "r" + ordinal();
    }
}
