package dev.taskshared.bpf.asm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable instruction sequence with labels (label &rarr; index of the instruction it marks).
 * {@link #encode()} resolves every symbolic jump to a slot offset, counting the two slots of 64-bit
 * loads; {@link #toString()} is a listing with slot numbers and labels.
 */
public final class Instructions {
    private final List<Insn> insns;
    private final Map<String, Integer> labels;

    Instructions(List<Insn> insns, Map<String, Integer> labels) {
        this.insns = List.copyOf(insns);
        this.labels = Collections.unmodifiableMap(new HashMap<>(labels));
    }

    /** Wraps instructions that carry no symbolic references. */
    public static Instructions of(Insn... insns) {
        return new Instructions(List.of(insns), Map.of());
    }

    /** Decodes little-endian bytecode (jumps stay numeric). */
    public static Instructions decode(byte[] code) {
        if (code.length % Insn.SLOT_SIZE != 0) {
            throw new IllegalArgumentException("bytecode length " + code.length + " is not a multiple of 8");
        }
        List<Insn> out = new ArrayList<>();
        for (int slot = 0; slot < code.length / Insn.SLOT_SIZE; ) {
            Insn i = Insn.decode(code, slot);
            out.add(i);
            slot += i.slots();
        }
        return new Instructions(out, Map.of());
    }

    public List<Insn> insns() {
        return insns;
    }

    public Map<String, Integer> labels() {
        return labels;
    }

    /** Number of 8-byte slots once encoded (what the kernel calls insn_cnt). */
    public int slotCount() {
        int n = 0;
        for (Insn i : insns) {
            n += i.slots();
        }
        return n;
    }

    /** The instructions with every label reference replaced by its slot offset. */
    public List<Insn> resolved() {
        int[] slotOf = new int[insns.size() + 1];
        for (int k = 0; k < insns.size(); k++) {
            slotOf[k + 1] = slotOf[k] + insns.get(k).slots();
        }
        List<Insn> out = new ArrayList<>(insns.size());
        for (int k = 0; k < insns.size(); k++) {
            Insn i = insns.get(k);
            if (i.isBranch() && i.reference() != null) {
                Integer target = labels.get(i.reference());
                if (target == null) {
                    throw new IllegalArgumentException("instruction " + k + " (" + i + ") jumps to unknown label '"
                            + i.reference() + "'; labels: " + labels.keySet());
                }
                int off = slotOf[target] - slotOf[k] - 1;
                if (off < Short.MIN_VALUE || off > Short.MAX_VALUE) {
                    throw new IllegalArgumentException("jump to '" + i.reference() + "' is " + off + " slots, beyond 16 bits");
                }
                i = i.withOffset(off);
            }
            out.add(i);
        }
        return out;
    }

    /** Little-endian bytecode, 8 bytes per slot, labels resolved. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(slotCount() * Insn.SLOT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn i : resolved()) {
            i.encodeTo(b);
        }
        return b.array();
    }

    /** A listing: one instruction per line, prefixed by its slot number, labels on their own line. */
    @Override
    public String toString() {
        Map<Integer, List<String>> byIndex = new HashMap<>();
        labels.forEach((name, index) -> byIndex.computeIfAbsent(index, k -> new ArrayList<>()).add(name));
        StringBuilder sb = new StringBuilder();
        int slot = 0;
        for (int k = 0; k < insns.size(); k++) {
            for (String name : byIndex.getOrDefault(k, List.of()).stream().sorted().toList()) {
                sb.append(name).append(":\n");
            }
            Insn i = insns.get(k);
            sb.append(String.format("%4d: %s%n", slot, i));
            slot += i.slots();
        }
        return sb.toString();
    }
}
