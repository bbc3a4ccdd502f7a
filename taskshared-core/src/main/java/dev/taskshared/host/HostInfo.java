package dev.taskshared.host;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.taskshared.region.SlotFeature;
import dev.taskshared.region.RegionFormatException;
import dev.taskshared.region.RegionHeader;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The host info record: what the installed host publisher offers, declared once, read by every
 * library that uses it, of whatever version. It is the one value of a one-entry BPF array map
 * pinned as {@link HostPins#INFO} (read-only for the group), written once by the installer.
 *
 * <pre>
 *   0 | magic u64 "TSKSHOST"                                   |
 *   8 | abi_major u16 | abi_minor u16 | record_size u32        |  the slot ABI of the programs; bytes of this record the writer defines
 *  16 | slot_size u32 | struct_size u32                        |  as in a region header
 *  24 | task_record_size u32 | feature_words u32               |  bytes of the task-storage value the programs read
 *  32 | features[4] u64                                        |  slot features the programs fill; top bit: another word follows
 *  64 | host_flags u64                                         |  {@link #FLAG_SEED}, {@link #FLAG_SEED_TASK}
 *  72 | installed_at_ns u64                                    |  CLOCK_REALTIME, nanoseconds since the epoch
 *  80 | version[48] UTF-8, NUL-padded                          |  the installing library's version
 * 128 | programs[24] ASCII, NUL-padded                         |  fingerprint of the installed programs
 * 152 | group_gid u32 | reserved u32                           |  the group the map was given to
 * 160
 * </pre>
 *
 * Fields are only ever appended: a reader takes the prefix it knows of a longer record (a newer
 * installer), and the negotiation ({@link #negotiate}) uses the intersection of features, so a
 * library newer or older than the installer uses what both understand and refuses, saying why,
 * only what it cannot read: another ABI major version, another slot size, a task record of
 * another size.
 */
public final class HostInfo {
    public static final long MAGIC = 0x54534f48534b5354L; // "TSKSHOST" little-endian
    public static final int MAX_FEATURE_WORDS = 4;
    public static final int VERSION_BYTES = 48;
    public static final int PROGRAMS_BYTES = 24;
    /** {@code host_flags}: a seed program is pinned ({@link HostPins#SEED}); without it utime/stime cannot be seeded. */
    public static final long FLAG_SEED = 1;
    /**
     * {@code host_flags}: a task seed program is pinned ({@link HostPins#SEED_TASK}), which seeds a
     * thread registered by another process (a monitor) with exact utime/stime; without it such a
     * thread is seeded from /proc, utime/stime 0 until its first switch-out.
     */
    public static final long FLAG_SEED_TASK = 2;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("magic"),
            JAVA_SHORT.withName("abi_major"),
            JAVA_SHORT.withName("abi_minor"),
            JAVA_INT.withName("record_size"),
            JAVA_INT.withName("slot_size"),
            JAVA_INT.withName("struct_size"),
            JAVA_INT.withName("task_record_size"),
            JAVA_INT.withName("feature_words"),
            MemoryLayout.sequenceLayout(MAX_FEATURE_WORDS, JAVA_LONG).withName("features"),
            JAVA_LONG.withName("host_flags"),
            JAVA_LONG.withName("installed_at_ns"),
            MemoryLayout.sequenceLayout(VERSION_BYTES, JAVA_BYTE).withName("version"),
            MemoryLayout.sequenceLayout(PROGRAMS_BYTES, JAVA_BYTE).withName("programs"),
            JAVA_INT.withName("group_gid"),
            JAVA_INT.withName("reserved")).withName("taskshared_host_info");

    public static final long OFF_MAGIC = off("magic");
    public static final long OFF_ABI_MAJOR = off("abi_major");
    public static final long OFF_ABI_MINOR = off("abi_minor");
    public static final long OFF_RECORD_SIZE = off("record_size");
    public static final long OFF_SLOT_SIZE = off("slot_size");
    public static final long OFF_STRUCT_SIZE = off("struct_size");
    public static final long OFF_TASK_RECORD_SIZE = off("task_record_size");
    public static final long OFF_FEATURE_WORDS = off("feature_words");
    public static final long OFF_FEATURES = off("features");
    public static final long OFF_HOST_FLAGS = off("host_flags");
    public static final long OFF_INSTALLED_AT_NS = off("installed_at_ns");
    public static final long OFF_VERSION = off("version");
    public static final long OFF_PROGRAMS = off("programs");
    public static final long OFF_GROUP_GID = off("group_gid");
    /** Bytes this version defines. */
    public static final int RECORD_SIZE = (int) LAYOUT.byteSize();
    /** The info map's value size: the record with room to grow, so a newer installer need not change the map's shape. */
    public static final int VALUE_SIZE = 256;
    /** The fields a reader needs (through host_flags): a shorter record cannot be read. */
    static final int MIN_RECORD_SIZE = (int) OFF_INSTALLED_AT_NS;

    private HostInfo() {
    }

    private static long off(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    /**
     * A record's content.
     *
     * @param features the publisher's slot feature words, continuation bits removed
     * @param installedAtEpochNanos CLOCK_REALTIME of the install
     * @param programs the installed programs' fingerprint ({@link dev.taskshared.publisher.HostPrograms#fingerprint()})
     */
    public record Content(int abiMajor, int abiMinor, int recordSize, int slotSize, int structSize, int taskRecordSize,
                          long[] features, long hostFlags, long installedAtEpochNanos, String version, String programs, int groupGid) {
        /** {@code 1.2}. */
        public String abi() {
            return abiMajor + "." + abiMinor;
        }

        /** The version as {@code status} and {@code doctor} show it: {@code 0.1.0 (programs 1a2b..., ABI 1.2)}. */
        public String describe() {
            return version + " (programs " + programs + ", ABI " + abi() + ", installed " + Instant.ofEpochSecond(0, installedAtEpochNanos) + ")";
        }

        /** Whether the same programs of the same version are installed as {@code other} describes. */
        public boolean sameInstallAs(Content other) {
            return version.equals(other.version) && programs.equals(other.programs) && abiMajor == other.abiMajor
                    && abiMinor == other.abiMinor;
        }

        public boolean hasSeed() {
            return (hostFlags & FLAG_SEED) != 0;
        }

        public boolean hasSeedTask() {
            return (hostFlags & FLAG_SEED_TASK) != 0;
        }

        /** This record with {@code flag} set or cleared. */
        public Content withHostFlag(long flag, boolean set) {
            return new Content(abiMajor, abiMinor, recordSize, slotSize, structSize, taskRecordSize, features,
                    set ? hostFlags | flag : hostFlags & ~flag, installedAtEpochNanos, version, programs, groupGid);
        }
    }

    /** The record this library version writes at install. */
    public static Content current(long features, long hostFlags, String version, String programs, int groupGid) {
        return new Content(RegionHeader.ABI_MAJOR, RegionHeader.ABI_MINOR, RECORD_SIZE, dev.taskshared.region.SlotLayout.SLOT_SIZE,
                dev.taskshared.region.SlotLayout.STRUCT_SIZE, dev.taskshared.publisher.TaskStorageRegistrar.recordSize(),
                new long[] {features}, hostFlags, System.currentTimeMillis() * 1_000_000L, version, programs, groupGid);
    }

    /**
     * Writes {@code c} into {@code value} ({@link #VALUE_SIZE} bytes or more), zeroing the rest. The
     * record size written is {@code c.recordSize()}: tests write other sizes to simulate other versions.
     */
    public static void write(MemorySegment value, Content c) {
        if (c.features().length == 0 || c.features().length > MAX_FEATURE_WORDS) {
            throw new IllegalArgumentException("feature words: 1 to " + MAX_FEATURE_WORDS + ", got " + c.features().length);
        }
        value.fill((byte) 0);
        value.set(JAVA_SHORT, OFF_ABI_MAJOR, (short) c.abiMajor());
        value.set(JAVA_SHORT, OFF_ABI_MINOR, (short) c.abiMinor());
        value.set(JAVA_INT, OFF_RECORD_SIZE, c.recordSize());
        value.set(JAVA_INT, OFF_SLOT_SIZE, c.slotSize());
        value.set(JAVA_INT, OFF_STRUCT_SIZE, c.structSize());
        value.set(JAVA_INT, OFF_TASK_RECORD_SIZE, c.taskRecordSize());
        value.set(JAVA_INT, OFF_FEATURE_WORDS, c.features().length);
        for (int i = 0; i < c.features().length; i++) {
            long w = c.features()[i] & ~RegionHeader.MORE_WORDS;
            value.set(JAVA_LONG, OFF_FEATURES + 8L * i, i + 1 < c.features().length ? w | RegionHeader.MORE_WORDS : w);
        }
        value.set(JAVA_LONG, OFF_HOST_FLAGS, c.hostFlags());
        value.set(JAVA_LONG, OFF_INSTALLED_AT_NS, c.installedAtEpochNanos());
        putString(value, OFF_VERSION, VERSION_BYTES, c.version());
        putString(value, OFF_PROGRAMS, PROGRAMS_BYTES, c.programs());
        value.set(JAVA_INT, OFF_GROUP_GID, c.groupGid());
        value.set(JAVA_LONG, OFF_MAGIC, MAGIC);
    }

    /**
     * Reads a record written by any version.
     *
     * @throws RegionFormatException naming what is wrong: not a host info record, too short,
     *     impossible counts
     */
    public static Content read(MemorySegment value, String source) {
        if (value.byteSize() < MIN_RECORD_SIZE) {
            throw new RegionFormatException(source + ": " + value.byteSize() + " bytes is too small for a host info record (" + MIN_RECORD_SIZE + " at least)");
        }
        long magic = value.get(JAVA_LONG, OFF_MAGIC);
        if (magic != MAGIC) {
            throw new RegionFormatException(String.format("%s: not a taskshared host info record (magic 0x%016x, expected 0x%016x)", source, magic, MAGIC));
        }
        int recordSize = value.get(JAVA_INT, OFF_RECORD_SIZE);
        if (recordSize < MIN_RECORD_SIZE || recordSize > value.byteSize()) {
            throw new RegionFormatException(source + ": corrupted record: record_size " + recordSize + " outside " + MIN_RECORD_SIZE + ".." + value.byteSize());
        }
        int words = value.get(JAVA_INT, OFF_FEATURE_WORDS);
        if (words < 1 || words > MAX_FEATURE_WORDS) {
            throw new RegionFormatException(source + ": corrupted record: feature_words " + words + " outside 1.." + MAX_FEATURE_WORDS);
        }
        long[] features = new long[words];
        for (int i = 0; i < words; i++) {
            long w = value.get(JAVA_LONG, OFF_FEATURES + 8L * i);
            if (((w & RegionHeader.MORE_WORDS) != 0) != (i + 1 < words)) {
                throw new RegionFormatException(source + ": corrupted record: feature word " + i + " continuation bit disagrees with feature_words " + words);
            }
            features[i] = w & ~RegionHeader.MORE_WORDS;
        }
        // Fields after host_flags are read only if the writer defined them (an older, shorter record).
        long installedAt = recordSize >= OFF_INSTALLED_AT_NS + 8 ? value.get(JAVA_LONG, OFF_INSTALLED_AT_NS) : 0;
        String version = recordSize >= OFF_VERSION + VERSION_BYTES ? getString(value, OFF_VERSION, VERSION_BYTES) : "unknown";
        String programs = recordSize >= OFF_PROGRAMS + PROGRAMS_BYTES ? getString(value, OFF_PROGRAMS, PROGRAMS_BYTES) : "unknown";
        int gid = recordSize >= OFF_GROUP_GID + 4 ? value.get(JAVA_INT, OFF_GROUP_GID) : -1;
        return new Content(Short.toUnsignedInt(value.get(JAVA_SHORT, OFF_ABI_MAJOR)), Short.toUnsignedInt(value.get(JAVA_SHORT, OFF_ABI_MINOR)),
                recordSize, value.get(JAVA_INT, OFF_SLOT_SIZE), value.get(JAVA_INT, OFF_STRUCT_SIZE), value.get(JAVA_INT, OFF_TASK_RECORD_SIZE),
                features, value.get(JAVA_LONG, OFF_HOST_FLAGS), installedAt, version, programs, gid);
    }

    /**
     * What this library can use of a publisher described by {@code c}: the features both know
     * (and whose fields lie within both struct sizes), less utime/stime when no seed program is
     * pinned (a thread registering itself could not seed them).
     *
     * @return the usable feature word 0
     * @throws IncompatibleHostException naming what this library cannot read
     */
    public static long negotiate(Content c) {
        if (c.abiMajor() != RegionHeader.ABI_MAJOR) {
            throw new IncompatibleHostException("the host publisher writes slot ABI " + c.abi() + ", this library reads ABI "
                    + RegionHeader.ABI_MAJOR + "." + RegionHeader.ABI_MINOR + " (major versions differ)");
        }
        if (c.slotSize() != dev.taskshared.region.SlotLayout.SLOT_SIZE) {
            throw new IncompatibleHostException("the host publisher's slots are " + c.slotSize() + " bytes, this library's "
                    + dev.taskshared.region.SlotLayout.SLOT_SIZE);
        }
        if (c.structSize() < 8 || c.structSize() > c.slotSize()) {
            throw new IncompatibleHostException("the host info record's struct_size " + c.structSize() + " lies outside 8.." + c.slotSize());
        }
        int ours = dev.taskshared.publisher.TaskStorageRegistrar.recordSize();
        if (c.taskRecordSize() != ours) {
            throw new IncompatibleHostException("the host publisher's programs read " + c.taskRecordSize()
                    + "-byte task records, this library writes " + ours + "-byte ones");
        }
        long usable = dev.taskshared.region.Negotiation.usable(new long[] {SlotFeature.allKnown()}, dev.taskshared.region.SlotLayout.STRUCT_SIZE,
                c.features(), c.structSize());
        if (!c.hasSeed()) {
            usable &= ~SlotFeature.maskOf(SlotFeature.UTIME, SlotFeature.STIME);
        }
        return usable;
    }

    /** Names of the features in word 0 of {@code mask}, lower case, with {@code bit N} for bits this version does not know. */
    public static List<String> featureNames(long mask) {
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < 63; bit++) {
            if ((mask & (1L << bit)) == 0) {
                continue;
            }
            String name = "bit " + bit;
            for (SlotFeature f : SlotFeature.values()) {
                if (f.bit() == bit) {
                    name = f.name().toLowerCase();
                }
            }
            names.add(name);
        }
        return names;
    }

    private static void putString(MemorySegment value, long offset, int size, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, value, JAVA_BYTE, offset, Math.min(b.length, size - 1));
    }

    private static String getString(MemorySegment value, long offset, int size) {
        byte[] b = value.asSlice(offset, size).toArray(JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
