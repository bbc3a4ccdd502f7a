package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.bpf.asm.MapRef;
import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.BpfAttr.GetId;
import dev.taskshared.sys.BpfAttr.GetInfo;
import dev.taskshared.sys.BpfAttr.MapCreate;
import dev.taskshared.sys.BpfAttr.MapElem;
import dev.taskshared.sys.BpfInfo;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.Mapping;
import dev.taskshared.sys.Platform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A BPF map, owning its descriptor: closing it (or the process ending) drops our reference; the
 * kernel frees the map when no descriptor, program or link holds it any more. Element operations
 * are one bpf(2) call each and are safe from any thread (the kernel synchronises them; values
 * larger than 8 bytes are not read or written atomically against programs). {@link #mmap()} gives
 * syscall-free access to an mmapable array.
 */
public final class BpfMap implements MapRef, AutoCloseable {
    /** BPF_ANY: create or replace. */
    public static final long ANY = 0;
    /** BPF_NOEXIST: create only. */
    public static final long NOEXIST = 1;
    /** BPF_EXIST: replace only. */
    public static final long EXIST = 2;

    private static final long PAGE_SIZE = Platform.pageSize();

    private final Fd fd;
    private final MapType type;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    private final String name;
    private Mapping mapping;

    private BpfMap(int fd, MapType type, int keySize, int valueSize, int maxEntries, int flags, String name) {
        this.fd = new Fd(fd, "map " + name);
        this.type = type;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
        this.name = name;
    }

    /** Creates a map (BPF_MAP_CREATE). Throws {@link dev.taskshared.sys.ErrnoException} with hints on failure. */
    public static BpfMap create(MapSpec spec) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, MapCreate.MAP_TYPE, spec.type().value);
            attr.set(JAVA_INT, MapCreate.KEY_SIZE, spec.keySize());
            attr.set(JAVA_INT, MapCreate.VALUE_SIZE, spec.valueSize());
            attr.set(JAVA_INT, MapCreate.MAX_ENTRIES, spec.maxEntries());
            attr.set(JAVA_INT, MapCreate.MAP_FLAGS, spec.flags());
            if (spec.innerMap() != null) {
                attr.set(JAVA_INT, MapCreate.INNER_MAP_FD, spec.innerMap().fd());
            }
            putName(attr, MapCreate.MAP_NAME, spec.name());
            if (spec.btf() != null) {
                attr.set(JAVA_INT, MapCreate.BTF_FD, spec.btf().btf().fd());
                attr.set(JAVA_INT, MapCreate.BTF_KEY_TYPE_ID, spec.btf().keyTypeId());
                attr.set(JAVA_INT, MapCreate.BTF_VALUE_TYPE_ID, spec.btf().valueTypeId());
            }
            long rc = Bpf.callRaw(BpfCmd.MAP_CREATE, attr);
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_MAP_CREATE " + spec.type() + " " + spec.name() + ")", (int) -rc);
            }
            return new BpfMap((int) rc, spec.type(), spec.keySize(), spec.valueSize(), spec.maxEntries(), spec.flags(), spec.name());
        }
    }

    /**
     * Opens an existing map by its id (BPF_MAP_GET_FD_BY_ID), for example one another process
     * created. Needs CAP_SYS_ADMIN (root).
     */
    public static BpfMap openById(int id) {
        int newFd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, GetId.ID, id);
            long rc = Bpf.callRaw(BpfCmd.MAP_GET_FD_BY_ID, attr);
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_MAP_GET_FD_BY_ID " + id + ")", (int) -rc);
            }
            newFd = (int) rc;
        }
        return fromFd(newFd, "map " + id);
    }

    /**
     * Opens the map pinned at {@code path} (BPF_OBJ_GET), read-write or, with {@code readOnly},
     * read-only (then lookups work, updates and mmap fail). The pin file's mode decides who may:
     * a read-write open needs write permission on it. Needs no capability.
     *
     * @throws dev.taskshared.sys.ErrnoException ENOENT when nothing is pinned there, EACCES with
     *     the pin file's owner and mode when this user may not open it so
     */
    public static BpfMap openPinned(java.nio.file.Path path, boolean readOnly) {
        return fromFd(Pins.get(path, readOnly ? Pins.READ_ONLY : 0, "map"), "map " + path);
    }

    /** Pins this map at {@code path} in a bpffs directory: it then outlives this descriptor and process. */
    public void pin(java.nio.file.Path path) {
        Pins.pin(fd(), path, "map " + name);
    }

    /** Wraps a map descriptor the caller owns, with the facts the kernel reports; closes it on failure. */
    private static BpfMap fromFd(int newFd, String what) {
        try {
            MapInfo info = info(newFd);
            MapType t = info.mapType();
            if (t == null) {
                throw new IllegalStateException(what + " has type " + info.type() + ", which this library does not handle");
            }
            return new BpfMap(newFd, t, info.keySize(), info.valueSize(), info.maxEntries(), info.flags(), info.name());
        } catch (RuntimeException e) {
            new Fd(newFd, what).close();
            throw e;
        }
    }

    static void putName(MemorySegment attr, long offset, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(b, 0, attr, JAVA_BYTE, offset, Math.min(b.length, MapSpec.MAX_NAME));
    }

    static String getName(MemorySegment seg, long offset) {
        byte[] b = seg.asSlice(offset, 16).toArray(JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    // -------------------------------------------------------------------------------- facts

    @Override
    public int fd() {
        return fd.get();
    }

    @Override
    public String name() {
        return name;
    }

    public MapType type() {
        return type;
    }

    public int keySize() {
        return keySize;
    }

    public int valueSize() {
        return valueSize;
    }

    public int maxEntries() {
        return maxEntries;
    }

    public int flags() {
        return flags;
    }

    /** What the kernel reports (BPF_OBJ_GET_INFO_BY_FD). */
    public MapInfo info() {
        return info(fd());
    }

    /** The kernel-wide id, by which another process (root) can {@link #openById open} this map. */
    public int id() {
        return info().id();
    }

    static MapInfo info(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfInfo.Map.LAYOUT);
            objInfo(arena, fd, info, "map");
            return new MapInfo(info.get(JAVA_INT, BpfInfo.Map.TYPE), info.get(JAVA_INT, BpfInfo.Map.ID),
                    info.get(JAVA_INT, BpfInfo.Map.KEY_SIZE), info.get(JAVA_INT, BpfInfo.Map.VALUE_SIZE),
                    info.get(JAVA_INT, BpfInfo.Map.MAX_ENTRIES), info.get(JAVA_INT, BpfInfo.Map.MAP_FLAGS),
                    getName(info, BpfInfo.Map.NAME));
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD into {@code info}; the kernel fills what it knows, up to its size. */
    static void objInfo(Arena arena, int fd, MemorySegment info, String what) {
        MemorySegment attr = Bpf.attr(arena);
        attr.set(JAVA_INT, GetInfo.BPF_FD, fd);
        attr.set(JAVA_INT, GetInfo.INFO_LEN, (int) info.byteSize());
        attr.set(JAVA_LONG, GetInfo.INFO, info.address());
        long rc = Bpf.callRaw(BpfCmd.OBJ_GET_INFO_BY_FD, attr);
        if (rc < 0) {
            throw BpfErrors.of("bpf(BPF_OBJ_GET_INFO_BY_FD " + what + ")", (int) -rc);
        }
    }

    // ----------------------------------------------------------------------------- elements

    /**
     * Size of a value buffer for lookups: {@code valueSize}, or for per-CPU maps one 8-byte
     * aligned copy per possible CPU.
     */
    public int lookupValueSize() {
        if (type.perCpu()) {
            return ((valueSize + 7) & ~7) * PossibleCpus.COUNT;
        }
        if (type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS) {
            return 4; // user space reads the inner map's id
        }
        return valueSize;
    }

    /** Copies the value under {@code key} into {@code value}; false if there is none (ENOENT). */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        checkSize("key", key.byteSize(), keySize);
        checkSize("value", value.byteSize(), lookupValueSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = elemAttr(arena, key);
            attr.set(JAVA_LONG, MapElem.VALUE, requireNative("value", value).address());
            long rc = Bpf.callRaw(BpfCmd.MAP_LOOKUP_ELEM, attr);
            if (rc == -Errno.ENOENT) {
                return false;
            }
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_MAP_LOOKUP_ELEM " + name + ")", (int) -rc);
            }
            return true;
        }
    }

    /** The value under {@code key}, or empty. */
    public Optional<byte[]> lookup(byte[] key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(lookupValueSize(), 8);
            return lookup(arena.allocateFrom(JAVA_BYTE, key), value) ? Optional.of(value.toArray(JAVA_BYTE)) : Optional.empty();
        }
    }

    /** The value under u32 key {@code index}, or empty. */
    public Optional<byte[]> lookup(int index) {
        return lookup(u32(index));
    }

    /** Sets {@code key} to {@code value}; {@code flags} is {@link #ANY}, {@link #NOEXIST} or {@link #EXIST}. */
    public void update(MemorySegment key, MemorySegment value, long flags) {
        checkSize("key", key.byteSize(), keySize);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = elemAttr(arena, key);
            attr.set(JAVA_LONG, MapElem.VALUE, requireNative("value", value).address());
            attr.set(JAVA_LONG, MapElem.FLAGS, flags);
            long rc = Bpf.callRaw(BpfCmd.MAP_UPDATE_ELEM, attr);
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_MAP_UPDATE_ELEM " + name + ")", (int) -rc);
            }
        }
    }

    public void update(byte[] key, byte[] value, long flags) {
        int expected = type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS ? 4 : type.perCpu() ? lookupValueSize() : valueSize;
        checkSize("value", value.length, expected);
        try (Arena arena = Arena.ofConfined()) {
            update(arena.allocateFrom(JAVA_BYTE, key), arena.allocateFrom(JAVA_BYTE, value), flags);
        }
    }

    public void update(byte[] key, byte[] value) {
        update(key, value, ANY);
    }

    public void update(int index, byte[] value) {
        update(u32(index), value, ANY);
    }

    /** Deletes {@code key}; false if there was none. Arrays cannot delete (EINVAL). */
    public boolean delete(MemorySegment key) {
        checkSize("key", key.byteSize(), keySize);
        try (Arena arena = Arena.ofConfined()) {
            long rc = Bpf.callRaw(BpfCmd.MAP_DELETE_ELEM, elemAttr(arena, key));
            if (rc == -Errno.ENOENT) {
                return false;
            }
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_MAP_DELETE_ELEM " + name + ")", (int) -rc);
            }
            return true;
        }
    }

    public boolean delete(byte[] key) {
        try (Arena arena = Arena.ofConfined()) {
            return delete(arena.allocateFrom(JAVA_BYTE, key));
        }
    }

    /** The key after {@code key} (null: the first key), or empty at the end; for iterating a hash. */
    public Optional<byte[]> nextKey(byte[] key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, MapElem.MAP_FD, fd());
            if (key != null) {
                attr.set(JAVA_LONG, MapElem.KEY, arena.allocateFrom(JAVA_BYTE, key).address());
            }
            MemorySegment next = arena.allocate(Math.max(keySize, 1), 8);
            attr.set(JAVA_LONG, MapElem.VALUE, next.address());
            long rc = Bpf.callRaw(BpfCmd.MAP_GET_NEXT_KEY, attr);
            if (rc == -Errno.ENOENT) {
                return Optional.empty();
            }
            if (rc < 0) {
                throw BpfErrors.of("bpf(BPF_MAP_GET_NEXT_KEY " + name + ")", (int) -rc);
            }
            return Optional.of(next.asSlice(0, keySize).toArray(JAVA_BYTE));
        }
    }

    /** Map of maps: puts {@code inner} under u32 key {@code index}. */
    public void setInner(int index, BpfMap inner) {
        update(u32(index), u32(inner.fd()), ANY);
    }

    /** Map of maps: the id of the map under u32 key {@code index}, or empty. */
    public OptionalInt innerId(int index) {
        return lookup(index).map(v -> OptionalInt.of(MemorySegment.ofArray(v).get(JAVA_INT_LE, 0))).orElse(OptionalInt.empty());
    }

    private static final java.lang.foreign.ValueLayout.OfInt JAVA_INT_LE = JAVA_INT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN)
            .withByteAlignment(1);

    /** A u32 key or value in the kernel's (little-endian) byte order. */
    public static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /**
     * BPF_MAP_UPDATE_ELEM without allocating, for hot paths: {@code attr} is a caller-owned scratch
     * of {@link Bpf#ATTR_SIZE} bytes (rewritten here), {@code key} and {@code value} native segments
     * of the map's sizes. Returns 0, or {@code -errno}.
     */
    public long updateInPlace(MemorySegment attr, MemorySegment key, MemorySegment value, long flags) {
        attr.fill((byte) 0);
        attr.set(JAVA_INT, MapElem.MAP_FD, fd());
        attr.set(JAVA_LONG, MapElem.KEY, key.address());
        attr.set(JAVA_LONG, MapElem.VALUE, value.address());
        attr.set(JAVA_LONG, MapElem.FLAGS, flags);
        return Bpf.callRaw(BpfCmd.MAP_UPDATE_ELEM, attr);
    }

    /** BPF_MAP_DELETE_ELEM without allocating (see {@link #updateInPlace}). Returns 0, or {@code -errno} (ENOENT: no entry). */
    public long deleteInPlace(MemorySegment attr, MemorySegment key) {
        attr.fill((byte) 0);
        attr.set(JAVA_INT, MapElem.MAP_FD, fd());
        attr.set(JAVA_LONG, MapElem.KEY, key.address());
        return Bpf.callRaw(BpfCmd.MAP_DELETE_ELEM, attr);
    }

    /** An {@link dev.taskshared.sys.ErrnoException} with hints for a failed element operation on this map. */
    public RuntimeException error(String command, long negativeErrno) {
        return BpfErrors.of("bpf(" + command + " " + name + ")", (int) -negativeErrno);
    }

    private MemorySegment elemAttr(Arena arena, MemorySegment key) {
        MemorySegment attr = Bpf.attr(arena);
        attr.set(JAVA_INT, MapElem.MAP_FD, fd());
        attr.set(JAVA_LONG, MapElem.KEY, requireNative("key", key).address());
        return attr;
    }

    private static MemorySegment requireNative(String what, MemorySegment s) {
        if (!s.isNative()) {
            throw new IllegalArgumentException(what + " must be a native segment (the kernel copies from its address)");
        }
        return s;
    }

    private static void checkSize(String what, long actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " is " + actual + " bytes, the map wants " + expected);
        }
    }

    // -------------------------------------------------------------------------------- mmap

    /**
     * The whole array mapped shared and writable: value {@code i} at {@code i * round_up(valueSize, 8)}.
     * Programs and the JVM see each other's writes; no syscall per access. Mapped once and
     * unmapped on {@link #close()}, after which the segment throws on access.
     */
    public synchronized MemorySegment mmap() {
        if (type != MapType.ARRAY || (flags & MapSpec.F_MMAPABLE) == 0) {
            throw new IllegalStateException("map " + name + " is not an mmapable array (" + type + ", flags 0x"
                    + Integer.toHexString(flags) + ")");
        }
        if (mapping == null) {
            long bytes = (long) ((valueSize + 7) & ~7) * maxEntries;
            long length = (bytes + PAGE_SIZE - 1) & -PAGE_SIZE;
            mapping = Mapping.map(fd(), length, true, 0);
        }
        return mapping.segment().asSlice(0, (long) ((valueSize + 7) & ~7) * maxEntries);
    }

    /** Unmaps and closes the descriptor; idempotent. */
    @Override
    public synchronized void close() {
        if (mapping != null) {
            mapping.close();
            mapping = null;
        }
        fd.close();
    }

    @Override
    public String toString() {
        return "BpfMap[" + type + " " + name + " fd=" + fd + " key=" + keySize + " value=" + valueSize + " max=" + maxEntries + "]";
    }

    /** Number of possible CPUs (/sys/devices/system/cpu/possible), the count per-CPU values come in. */
    static final class PossibleCpus {
        static final int COUNT = read();

        private static int read() {
            try {
                String s = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
                int max = 0;
                for (String part : s.split(",")) {
                    String[] r = part.split("-");
                    max = Math.max(max, Integer.parseInt(r[r.length - 1]));
                }
                return max + 1;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
