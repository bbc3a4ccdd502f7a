package dev.taskshared.bpf;

import dev.taskshared.sys.Platform;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to create: {@code map_type, key_size, value_size, max_entries, map_flags, map_name} and for
 * maps of maps a template inner map (only its shape matters; it may be closed after creation).
 * Build with the factories and {@code with...} methods, for example
 * {@code MapSpec.array(128, 32).mmapable().named("slots")}.
 */
public record MapSpec(MapType type, int keySize, int valueSize, int maxEntries, int flags, String name, BpfMap innerMap,
                      BtfTypes btf) {
    /** The key and value types of a map described by BTF (needed for special fields such as {@code __uptr}). */
    public record BtfTypes(LoadedBtf btf, int keyTypeId, int valueTypeId) {
    }

    /** BPF_F_NO_PREALLOC: hash maps allocate entries on update. */
    public static final int F_NO_PREALLOC = 1;
    /** BPF_F_RDONLY_PROG: programs may only read. */
    public static final int F_RDONLY_PROG = 1 << 7;
    /** BPF_F_MMAPABLE: an array user space can mmap. */
    public static final int F_MMAPABLE = 1 << 10;
    /** BPF_OBJ_NAME_LEN - 1: the longest name. */
    public static final int MAX_NAME = 15;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.]{0,15}");

    public MapSpec(MapType type, int keySize, int valueSize, int maxEntries, int flags, String name, BpfMap innerMap) {
        this(type, keySize, valueSize, maxEntries, flags, name, innerMap, null);
    }

    public MapSpec {
        Objects.requireNonNull(type, "type");
        name = name == null ? "" : name;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("map name '" + name + "': at most 15 of [A-Za-z0-9_.]");
        }
        if ((type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS) && innerMap == null) {
            throw new IllegalArgumentException(type + " needs an inner map template");
        }
    }

    /** An array of {@code maxEntries} values of {@code valueSize} bytes, keyed by u32 index. */
    public static MapSpec array(int valueSize, int maxEntries) {
        return new MapSpec(MapType.ARRAY, 4, valueSize, maxEntries, 0, "", null);
    }

    /** A per-CPU array: each CPU has its own copy of every value. */
    public static MapSpec percpuArray(int valueSize, int maxEntries) {
        return new MapSpec(MapType.PERCPU_ARRAY, 4, valueSize, maxEntries, 0, "", null);
    }

    public static MapSpec hash(int keySize, int valueSize, int maxEntries) {
        return new MapSpec(MapType.HASH, keySize, valueSize, maxEntries, 0, "", null);
    }

    /** An array whose values are maps shaped like {@code template}. */
    public static MapSpec arrayOfMaps(int maxEntries, BpfMap template) {
        return new MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, maxEntries, 0, "", template);
    }

    /** A hash whose values are maps shaped like {@code template}. */
    public static MapSpec hashOfMaps(int keySize, int maxEntries, BpfMap template) {
        return new MapSpec(MapType.HASH_OF_MAPS, keySize, 4, maxEntries, 0, "", template);
    }

    /** A ring buffer of {@code bytes} data bytes: a power of two and a multiple of the page size. */
    public static MapSpec ringbuf(int bytes) {
        long page = Platform.pageSize();
        if (Integer.bitCount(bytes) != 1 || bytes < page) {
            throw new IllegalArgumentException("ring buffer size " + bytes + " must be a power of two >= the page size, " + page);
        }
        return new MapSpec(MapType.RINGBUF, 0, 0, bytes, 0, "", null);
    }

    /**
     * Task-local storage (Linux 5.11+): one value of {@code valueSize} bytes per task, keyed from
     * user space by a pidfd of the task; programs get it with bpf_task_storage_get.
     */
    public static MapSpec taskStorage(int valueSize) {
        return new MapSpec(MapType.TASK_STORAGE, 4, valueSize, 0, F_NO_PREALLOC, "", null);
    }

    public MapSpec named(String newName) {
        return new MapSpec(type, keySize, valueSize, maxEntries, flags, newName, innerMap, btf);
    }

    public MapSpec withFlags(int newFlags) {
        return new MapSpec(type, keySize, valueSize, maxEntries, newFlags, name, innerMap, btf);
    }

    /** Describes the key and value with BTF type ids of {@code loaded}. */
    public MapSpec withBtf(LoadedBtf loaded, int keyTypeId, int valueTypeId) {
        return new MapSpec(type, keySize, valueSize, maxEntries, flags, name, innerMap, new BtfTypes(loaded, keyTypeId, valueTypeId));
    }

    /** Adds {@link #F_MMAPABLE} (arrays only). */
    public MapSpec mmapable() {
        if (type != MapType.ARRAY) {
            throw new IllegalArgumentException("only arrays are mmapable, not " + type);
        }
        return withFlags(flags | F_MMAPABLE);
    }
}
