package dev.taskshared.bpf.asm;

/** Formats instructions in the notation of the kernel's verifier log and {@code bpftool}. */
final class Disassembler {
    private Disassembler() {
    }

    static String format(Insn i) {
        OpClass cls = i.opClass();
        return switch (cls) {
            case ALU, ALU64 -> alu(i, cls == OpClass.ALU64);
            case JMP, JMP32 -> jump(i, cls == OpClass.JMP);
            case LD -> ld(i);
            case LDX -> String.format("%s = *(%s *)(%s %s)", i.dst(), Size.of(i.opcode()).cType, i.src(), signed(i.off()));
            case ST -> String.format("*(%s *)(%s %s) = %d", Size.of(i.opcode()).cType, i.dst(), signed(i.off()), i.imm());
            case STX -> stx(i);
        };
    }

    private static String reg(Reg r, boolean wide) {
        return (wide ? "r" : "w") + r.number();
    }

    private static String signed(int off) {
        return off < 0 ? "-" + (-(long) off) : "+" + off;
    }

    private static String alu(Insn i, boolean wide) {
        AluOp op = AluOp.of(i.opcode());
        String dst = reg(i.dst(), wide);
        String operand = Source.of(i.opcode()) == Source.X ? reg(i.src(), wide) : Long.toString(i.imm());
        return switch (op) {
            case NEG -> dst + " = -" + dst;
            case END -> dst + " = " + (Source.of(i.opcode()) == Source.X ? "be" : "le") + i.imm() + " " + dst;
            default -> dst + " " + op.symbol + " " + operand;
        };
    }

    private static String jump(Insn i, boolean wide) {
        JmpOp op = JmpOp.of(i.opcode());
        String target = i.reference() != null ? i.reference() : "pc" + signed(i.off());
        return switch (op) {
            case EXIT -> "exit";
            case CALL -> {
                if (i.src().number() == Insn.PSEUDO_CALL) {
                    yield "call pc" + signed((int) i.imm());
                }
                if (i.src().number() == Insn.PSEUDO_KFUNC_CALL) {
                    yield "call kfunc " + (i.reference() == null ? "" : i.reference()) + "#" + i.imm();
                }
                Helper h = Helper.byId(i.imm());
                yield "call " + (h == null ? "helper" : h.kernelName()) + "#" + i.imm();
            }
            case JA -> "goto " + target;
            default -> {
                String operand = Source.of(i.opcode()) == Source.X ? reg(i.src(), wide) : String.format("0x%x", wide ? i.imm() : i.imm() & 0xffffffffL);
                yield "if " + reg(i.dst(), wide) + " " + op.symbol + " " + operand + " goto " + target;
            }
        };
    }

    private static String ld(Insn i) {
        if (!i.isLdImm64()) {
            return String.format("ld opcode 0x%02x", i.opcode());
        }
        return switch (i.src().number()) {
            case Insn.PSEUDO_MAP_FD -> i.dst() + " = map[fd:" + i.imm() + (i.reference() == null ? "" : " " + i.reference()) + "]";
            case Insn.PSEUDO_MAP_VALUE -> i.dst() + " = map_value[fd:" + (int) i.imm() + "]+" + (i.imm() >>> 32);
            default -> String.format("%s = 0x%x ll", i.dst(), i.imm());
        };
    }

    private static String stx(Insn i) {
        Size size = Size.of(i.opcode());
        String mem = String.format("*(%s *)(%s %s)", size.cType, i.dst(), signed(i.off()));
        if (AddressMode.of(i.opcode()) != AddressMode.ATOMIC) {
            return mem + " = " + i.src();
        }
        boolean wide = size == Size.DW;
        AtomicOp op = AtomicOp.of((int) i.imm());
        String bits = wide ? "64" : "";
        String src = reg(i.src(), wide);
        return switch (op) {
            case ADD, OR, AND, XOR -> "lock " + mem + " " + op.symbol + " " + src;
            case XCHG -> src + " = atomic" + bits + "_xchg((" + size.cType + " *)(" + i.dst() + " " + signed(i.off()) + "), " + src + ")";
            case CMPXCHG -> reg(Reg.R0, wide) + " = atomic" + bits + "_cmpxchg((" + size.cType + " *)(" + i.dst() + " "
                    + signed(i.off()) + "), " + reg(Reg.R0, wide) + ", " + src + ")";
            default -> src + " = atomic" + bits + "_fetch_" + op.name().substring(6).toLowerCase(java.util.Locale.ROOT)
                    + "((" + size.cType + " *)(" + i.dst() + " " + signed(i.off()) + "), " + src + ")";
        };
    }
}
