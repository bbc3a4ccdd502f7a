package dev.taskshared.bpf;

/** Map types we create, numbered as {@code enum bpf_map_type} (linux/bpf.h). */
public enum MapType {
    HASH(1), ARRAY(2), PERCPU_HASH(5), PERCPU_ARRAY(6), LRU_HASH(9), ARRAY_OF_MAPS(12), HASH_OF_MAPS(13), RINGBUF(27),
    TASK_STORAGE(29);

    public final int value;

    MapType(int value) {
        this.value = value;
    }

    public static MapType of(int value) {
        for (MapType t : values()) {
            if (t.value == value) {
                return t;
            }
        }
        return null;
    }

    boolean perCpu() {
        return this == PERCPU_ARRAY || this == PERCPU_HASH;
    }
}
