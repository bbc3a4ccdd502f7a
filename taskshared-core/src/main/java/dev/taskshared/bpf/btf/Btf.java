package dev.taskshared.bpf.btf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only BTF blob (kernel type information), as in {@code /sys/kernel/btf/vmlinux}:
 *
 * <pre>
 *  struct btf_header { u16 magic 0xeB9F; u8 version; u8 flags; u32 hdr_len;
 *                      u32 type_off; u32 type_len; u32 str_off; u32 str_len; }   offsets after hdr_len
 *  struct btf_type   { u32 name_off; u32 info (vlen 0-15, kind 24-28, kind_flag 31); u32 size | type; }
 *                    followed by kind-specific data ({@link BtfKind})
 * </pre>
 *
 * Type ids start at 1 (0 is void). Parsing indexes every type once (about 100-200 ms for vmlinux);
 * queries are then map lookups and short walks. Immutable and thread-safe after construction.
 */
public final class Btf {
    private static final int MAGIC = 0xeB9F;
    private static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    private final ByteBuffer buf;
    private final int typesStart;
    private final int stringsStart;
    private final int stringsLength;
    /** Byte position of each type's struct btf_type, by id; index 0 unused. */
    private final int[] typePos;
    private final Map<String, List<Integer>> byName = new HashMap<>();

    private Btf(byte[] bytes) {
        buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if ((buf.getShort(0) & 0xffff) != MAGIC) {
            buf.order(ByteOrder.BIG_ENDIAN);
            if ((buf.getShort(0) & 0xffff) != MAGIC) {
                throw new IllegalArgumentException(String.format("not BTF: magic 0x%04x", buf.getShort(0) & 0xffff));
            }
        }
        int hdrLen = buf.getInt(4);
        int typeOff = buf.getInt(8);
        int typeLen = buf.getInt(12);
        int strOff = buf.getInt(16);
        int strLen = buf.getInt(20);
        typesStart = hdrLen + typeOff;
        stringsStart = hdrLen + strOff;
        stringsLength = strLen;
        if ((long) typesStart + typeLen > bytes.length || (long) stringsStart + strLen > bytes.length) {
            throw new IllegalArgumentException("BTF sections run past the end of the data (" + bytes.length + " bytes)");
        }
        int[] pos = new int[1 << 16];
        int n = 1;
        int p = typesStart;
        int end = typesStart + typeLen;
        while (p < end) {
            if (n == pos.length) {
                pos = java.util.Arrays.copyOf(pos, n * 2);
            }
            pos[n++] = p;
            int info = buf.getInt(p + 4);
            p += 12 + BtfKind.of((info >>> 24) & 0x1f).trailingBytes(info & 0xffff);
        }
        if (p != end) {
            throw new IllegalArgumentException("BTF type section does not end on a type boundary");
        }
        typePos = java.util.Arrays.copyOf(pos, n);
        for (int id = 1; id < n; id++) {
            int nameOff = buf.getInt(typePos[id]);
            if (nameOff != 0) {
                byName.computeIfAbsent(string(nameOff), k -> new ArrayList<>(1)).add(id);
            }
        }
    }

    /** Parses a BTF blob. */
    public static Btf parse(byte[] bytes) {
        return new Btf(bytes);
    }

    /** The running kernel's BTF, parsed once on first use. Throws if the kernel has none. */
    public static Btf vmlinux() {
        return Vmlinux.BTF;
    }

    /** True if the kernel exposes its BTF ({@code CONFIG_DEBUG_INFO_BTF}). */
    public static boolean vmlinuxAvailable() {
        return Files.isReadable(VMLINUX);
    }

    private static final class Vmlinux {
        static final Btf BTF = load();

        private static Btf load() {
            try {
                return parse(Files.readAllBytes(VMLINUX));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + VMLINUX + " (kernel without CONFIG_DEBUG_INFO_BTF?)", e);
            }
        }
    }

    // ------------------------------------------------------------------------------ types

    /** Number of types, void excluded; valid ids are 1..count. */
    public int typeCount() {
        return typePos.length - 1;
    }

    public BtfKind kind(int id) {
        if (id == 0) {
            return BtfKind.UNKNOWN;
        }
        return BtfKind.of((info(id) >>> 24) & 0x1f);
    }

    /** The type's name, empty for anonymous types and void. */
    public String name(int id) {
        return id == 0 ? "void" : string(buf.getInt(pos(id)));
    }

    private int vlen(int id) {
        return info(id) & 0xffff;
    }

    private boolean kindFlag(int id) {
        return (info(id) >>> 31) != 0;
    }

    private int info(int id) {
        return buf.getInt(pos(id) + 4);
    }

    private int sizeOrType(int id) {
        return buf.getInt(pos(id) + 8);
    }

    private int pos(int id) {
        if (id <= 0 || id >= typePos.length) {
            throw new IllegalArgumentException("no BTF type " + id);
        }
        return typePos[id];
    }

    /** The id of the type named {@code name} of {@code kind}, if any (the first one, if several). */
    public Optional<Integer> typeId(String name, BtfKind kind) {
        for (int id : byName.getOrDefault(name, List.of())) {
            if (kind(id) == kind) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    /** The id of the struct named {@code name}; throws if there is none. */
    public int structId(String name) {
        return typeId(name, BtfKind.STRUCT).orElseThrow(() -> new IllegalArgumentException("BTF has no struct " + name));
    }

    /**
     * The id of typedef {@code btf_trace_<tracepoint>}, which a BTF-typed raw tracepoint program
     * ({@code tp_btf}) names as its {@code attach_btf_id}.
     */
    public int rawTracepointTypeId(String tracepoint) {
        return typeId("btf_trace_" + tracepoint, BtfKind.TYPEDEF)
                .orElseThrow(() -> new IllegalArgumentException("BTF has no tracepoint " + tracepoint + " (no typedef btf_trace_" + tracepoint + ")"));
    }

    /** Follows typedef, const, volatile, restrict and type tags to the underlying type. */
    public int resolve(int id) {
        int guard = 0;
        while (id != 0) {
            switch (kind(id)) {
                case TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG -> id = sizeOrType(id);
                default -> {
                    return id;
                }
            }
            if (++guard > 64) {
                throw new IllegalStateException("BTF type chain too long at " + id);
            }
        }
        return id;
    }

    /** Size in bytes of type {@code id} (pointers are 8). */
    public long sizeOf(int id) {
        int r = resolve(id);
        BtfKind k = kind(r);
        if (k.hasSize()) {
            return Integer.toUnsignedLong(sizeOrType(r));
        }
        return switch (k) {
            case PTR -> 8;
            case ARRAY -> Integer.toUnsignedLong(buf.getInt(pos(r) + 20)) * sizeOf(buf.getInt(pos(r) + 12));
            default -> throw new IllegalArgumentException("BTF type " + id + " (" + k + ") has no size");
        };
    }

    // ---------------------------------------------------------------------------- members

    /**
     * A member reached by a path: byte offset from the outer struct, bit offset and bitfield
     * size (0 unless a bitfield), its type id and byte size.
     */
    public record Field(String path, long bitOffset, int bitfieldSize, int typeId, long size) {
        /** Byte offset; throws for a bitfield that does not start on a byte. */
        public long offset() {
            if (bitOffset % 8 != 0) {
                throw new IllegalStateException(path + " is a bitfield at bit " + bitOffset);
            }
            return bitOffset / 8;
        }

        public boolean isBitfield() {
            return bitfieldSize != 0;
        }
    }

    /**
     * Resolves {@code path} ("pid", "se.sum_exec_runtime", "sched_info.run_delay") in struct
     * {@code struct}, looking through anonymous structs and unions as C does.
     */
    public Field field(String struct, String path) {
        int id = structId(struct);
        long bits = 0;
        int type = id;
        int bitfield = 0;
        for (String part : path.split("\\.")) {
            int container = resolve(type);
            if (kind(container) != BtfKind.STRUCT && kind(container) != BtfKind.UNION) {
                throw new IllegalArgumentException(struct + "." + path + ": '" + part + "' is looked up in a " + kind(container)
                        + ", not a struct or union");
            }
            long[] found = findMember(container, part);
            if (found == null) {
                throw new IllegalArgumentException("struct " + struct + " has no member " + path + " ('" + part + "' not found in "
                        + describe(container) + ")");
            }
            bits += found[0];
            bitfield = (int) found[1];
            type = (int) found[2];
        }
        return new Field(path, bits, bitfield, type, bitfield != 0 ? 0 : sizeOf(type));
    }

    /** Byte offset of {@code path} in {@code struct}, for example {@code offsetOf("task_struct", "se.sum_exec_runtime")}. */
    public long offsetOf(String struct, String path) {
        return field(struct, path).offset();
    }

    /** {bit offset, bitfield size, type id} of member {@code name} of struct/union {@code id}, searching anonymous members. */
    private long[] findMember(int id, String name) {
        int p = pos(id) + 12;
        boolean kf = kindFlag(id);
        for (int k = 0; k < vlen(id); k++, p += 12) {
            int nameOff = buf.getInt(p);
            int type = buf.getInt(p + 4);
            int offset = buf.getInt(p + 8);
            long bitOffset = kf ? offset & 0xffffff : Integer.toUnsignedLong(offset);
            int bitSize = kf ? offset >>> 24 : 0;
            if (nameOff != 0) {
                if (string(nameOff).equals(name)) {
                    return new long[] {bitOffset, bitSize, type};
                }
            } else {
                int inner = resolve(type);
                if (kind(inner) == BtfKind.STRUCT || kind(inner) == BtfKind.UNION) {
                    long[] found = findMember(inner, name);
                    if (found != null) {
                        found[0] += bitOffset;
                        return found;
                    }
                }
            }
        }
        return null;
    }

    private String describe(int id) {
        String n = name(id);
        return kind(id).name().toLowerCase(java.util.Locale.ROOT) + " " + (n.isEmpty() ? "(anonymous)" : n);
    }

    // ---------------------------------------------------------------------------- strings

    private String string(int off) {
        if (off < 0 || off >= stringsLength) {
            throw new IllegalArgumentException("BTF string offset " + off + " out of range");
        }
        int start = stringsStart + off;
        int end = start;
        byte[] a = buf.array();
        while (a[end] != 0) {
            end++;
        }
        return new String(a, start, end - start, StandardCharsets.UTF_8);
    }
}
