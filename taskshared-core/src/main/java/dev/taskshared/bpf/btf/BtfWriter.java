package dev.taskshared.bpf.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a small BTF blob (the {@link Btf} format, native byte order) describing the types of our
 * own maps: integers, structs, pointers and type tags &mdash; what a map's key and value need, for
 * example a task-storage value holding a {@code __uptr} (a pointer through a {@code TYPE_TAG "uptr"}).
 * Each {@code add...} returns the new type's id (ids start at 1; 0 is void). Not thread-safe.
 */
public final class BtfWriter {
    private static final int MAGIC = 0xeB9F;
    private static final int HEADER_LEN = 24;
    private static final int INT_SIGNED = 1;

    /** One struct member: its name, type id and byte offset. */
    public record Member(String name, int typeId, long byteOffset) {
    }

    private final ByteArrayOutputStream types = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();
    private int nextId = 1;

    public BtfWriter() {
        strings.write(0); // offset 0 is the empty name
        stringOffsets.put("", 0);
    }

    /** An integer of {@code bytes} bytes (1, 2, 4, 8, 16). */
    public int addInt(String name, int bytes, boolean signed) {
        int id = type(name, BtfKind.INT, 0, bytes);
        word((signed ? INT_SIGNED : 0) << 24 | bytes * 8); // encoding << 24 | offset 0 << 16 | bits
        return id;
    }

    /** A pointer to type {@code targetId}. */
    public int addPointer(int targetId) {
        return type("", BtfKind.PTR, 0, targetId);
    }

    /** A type tag ({@code __attribute__((btf_type_tag(name)))}) on type {@code targetId}. */
    public int addTypeTag(String tag, int targetId) {
        return type(tag, BtfKind.TYPE_TAG, 0, targetId);
    }

    /** A struct of {@code size} bytes with these members (byte-aligned, no bit fields). */
    public int addStruct(String name, long size, List<Member> members) {
        int id = type(name, BtfKind.STRUCT, members.size(), (int) size);
        for (Member m : members) {
            word(string(m.name()));
            word(m.typeId());
            word((int) (m.byteOffset() * 8));
        }
        return id;
    }

    /** The blob: header, type section, string section. */
    public byte[] build() {
        byte[] t = types.toByteArray();
        byte[] s = strings.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(HEADER_LEN + t.length + s.length).order(ByteOrder.nativeOrder());
        b.putShort((short) MAGIC).put((byte) 1).put((byte) 0).putInt(HEADER_LEN);
        b.putInt(0).putInt(t.length).putInt(t.length).putInt(s.length);
        b.put(t).put(s);
        return b.array();
    }

    private int type(String name, BtfKind kind, int vlen, int sizeOrType) {
        word(string(name));
        word(kind.value << 24 | vlen);
        word(sizeOrType);
        return nextId++;
    }

    private int string(String s) {
        return stringOffsets.computeIfAbsent(s, k -> {
            int off = strings.size();
            strings.writeBytes(k.getBytes(StandardCharsets.US_ASCII));
            strings.write(0);
            return off;
        });
    }

    private void word(int v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v);
        types.writeBytes(b.array());
    }
}
