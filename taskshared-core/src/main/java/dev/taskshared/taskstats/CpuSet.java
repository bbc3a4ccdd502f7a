package dev.taskshared.taskstats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Iterator;
import java.util.PrimitiveIterator;
import java.util.stream.IntStream;

/**
 * An immutable set of CPU numbers, read and written in the kernel's list format ({@code 0-3,8}):
 * comma-separated single CPUs and inclusive ranges, blanks allowed at the ends of the list and of
 * each entry. Thread-safe.
 */
public final class CpuSet implements Iterable<Integer> {
    /** Where the kernel lists the CPUs that can ever be online. */
    public static final Path POSSIBLE_PATH = Path.of("/sys/devices/system/cpu/possible");
    private static final int MAX_CPUS = 1 << 16;

    private static volatile CpuSet possible;

    private final BitSet bits;

    private CpuSet(BitSet bits) {
        this.bits = bits;
    }

    /** The CPUs this machine can have ({@code /sys/devices/system/cpu/possible}), read once and cached. */
    public static CpuSet possible() {
        CpuSet p = possible;
        if (p == null) {
            try {
                p = parseUnchecked(Files.readString(POSSIBLE_PATH), null);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + POSSIBLE_PATH, e);
            }
            possible = p;
        }
        return p;
    }

    /** Every possible CPU. */
    public static CpuSet all() {
        return possible();
    }

    static CpuSet ofBits(BitSet bits) {
        return new CpuSet((BitSet) bits.clone());
    }

    /** The given CPUs, each checked against {@link #possible()}. */
    public static CpuSet of(int... cpus) {
        CpuSet within = possible();
        BitSet b = new BitSet();
        for (int cpu : cpus) {
            if (!within.contains(cpu)) {
                throw new IllegalArgumentException("CPU " + cpu + " is not possible on this machine (possible: " + within + ")");
            }
            b.set(cpu);
        }
        return new CpuSet(b);
    }

    /** Parses a list such as {@code "0-3,8"}, checking every CPU against {@link #possible()}. */
    public static CpuSet parse(String list) {
        return parse(list, possible());
    }

    /** Parses a list, checking every CPU against {@code within}. */
    public static CpuSet parse(String list, CpuSet within) {
        return parseUnchecked(list, within);
    }

    private static IllegalArgumentException bad(String list, String why) {
        return new IllegalArgumentException("cpu list '" + list + "': " + why);
    }

    private static CpuSet parseUnchecked(String list, CpuSet within) {
        if (list == null) {
            throw new IllegalArgumentException("cpu list is null");
        }
        String trimmed = list.strip();
        if (trimmed.isEmpty()) {
            throw bad(list, "no CPUs");
        }
        BitSet b = new BitSet();
        String[] entries = trimmed.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].strip();
            if (entry.isEmpty()) {
                throw bad(list, "entry " + (i + 1) + " is empty");
            }
            int dash = entry.indexOf('-');
            int start;
            int end;
            if (dash < 0) {
                start = number(list, entry, entry);
                end = start;
            } else {
                String lo = entry.substring(0, dash).strip();
                String hi = entry.substring(dash + 1).strip();
                if (lo.isEmpty()) {
                    throw bad(list, "range '" + entry + "' has no start");
                }
                if (hi.isEmpty()) {
                    throw bad(list, "range '" + entry + "' has no end");
                }
                start = number(list, entry, lo);
                end = number(list, entry, hi);
                if (end < start) {
                    throw bad(list, "range end " + end + " is below start " + start);
                }
            }
            if (within != null) {
                for (int cpu = start; cpu <= end; cpu++) {
                    if (!within.contains(cpu)) {
                        throw bad(list, "CPU " + cpu + " is not possible on this machine (possible: " + within + ")");
                    }
                }
            }
            b.set(start, end + 1);
        }
        return new CpuSet(b);
    }

    private static int number(String list, String entry, String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                String where = text.equals(entry) ? "" : " in '" + entry + "'";
                throw bad(list, "'" + text + "'" + where + " is not a CPU number");
            }
        }
        if (text.length() > 5 || Integer.parseInt(text) >= MAX_CPUS) {
            throw bad(list, "CPU " + text + " is beyond " + (MAX_CPUS - 1));
        }
        return Integer.parseInt(text);
    }

    public boolean contains(int cpu) {
        return cpu >= 0 && bits.get(cpu);
    }

    public int size() {
        return bits.cardinality();
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    /** The CPUs in increasing order. */
    public IntStream stream() {
        return bits.stream();
    }

    public int[] toArray() {
        return bits.stream().toArray();
    }

    @Override
    public Iterator<Integer> iterator() {
        PrimitiveIterator.OfInt it = bits.stream().iterator();
        return it;
    }

    /** The CPUs in either set. */
    public CpuSet union(CpuSet other) {
        BitSet b = (BitSet) bits.clone();
        b.or(other.bits);
        return new CpuSet(b);
    }

    /** The CPUs in both sets. */
    public CpuSet intersection(CpuSet other) {
        BitSet b = (BitSet) bits.clone();
        b.and(other.bits);
        return new CpuSet(b);
    }

    /** The kernel list format, ranges collapsed: {@code 0-3,8}; empty for an empty set. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int start = bits.nextSetBit(0);
        while (start >= 0) {
            int end = bits.nextClearBit(start) - 1;
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(start);
            if (end > start) {
                sb.append('-').append(end);
            }
            start = bits.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet c && c.bits.equals(bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }
}
