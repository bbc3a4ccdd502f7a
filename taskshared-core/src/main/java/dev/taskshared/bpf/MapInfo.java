package dev.taskshared.bpf;

/** What the kernel reports about a map ({@code struct bpf_map_info}). */
public record MapInfo(int type, int id, int keySize, int valueSize, int maxEntries, int flags, String name) {
    /** The type, or null if it is one this library does not name. */
    public MapType mapType() {
        return MapType.of(type);
    }
}
