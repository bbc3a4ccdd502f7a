package dev.taskshared.region;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * The 4 KiB header at the start of every region, declared once (HdrHistogram's cookie idea):
 * a reader rejects a foreign, corrupted or incompatible region with a precise message.
 *
 * <pre>
 *    0 | magic u64 "TSKSHARE"                              |
 *    8 | abi_major u16 | abi_minor u16 | header_size u32   |
 *   16 | slot_size u32 | struct_size u32                   |
 *   24 | slots_per_page u32 | publisher_kind u32           |  1 sampling, 2 bpf
 *   32 | owner_pid u32 | page_count u32                    |  page_count: release-stored after a page is ready
 *   40 | created_at_ns u64                                 |  CLOCK_MONOTONIC
 *   48 | sample_interval_ns u64                            |  0 unless sampling; the live period, updated by the sampler
 *   56 | feature_words u32 | max_pages u32                 |
 *   64 | features[7] u64                                   |  top bit of a word: another word follows
 *  120 | owner_start_ticks u64                             |  owner's start time, /proc/&lt;pid&gt;/stat field 22; 0: unknown
 *  128 | page_table[max_pages] u64                         |  kind (top byte) | value
 * </pre>
 *
 * {@code owner_pid} and {@code owner_start_ticks} together name one process for the life of the
 * machine: a reader compares them with /proc/&lt;pid&gt;/stat, so a region is never taken for that of
 * a later process that got the same pid. (No boot id is needed: a region is a memfd, which does
 * not outlive its processes, let alone a reboot.) {@code owner_start_ticks} took the place of an
 * eighth feature word, which no writer ever used, so older readers read the header unchanged.
 *
 * A page-table entry says where page i lives: {@link #PAGE_IN_FILE} at the given file offset, or
 * {@link #PAGE_IN_BPF_MAP} in the BPF array map of the given id.
 */
public final class RegionHeader {
    public static final long MAGIC = 0x4552414853_4b5354L; // "TSKSHARE" little-endian
    public static final int ABI_MAJOR = 1;
    public static final int ABI_MINOR = 2; // 1.1: utime_ns, stime_ns, state; 1.2: owner_start_ticks
    public static final int HEADER_SIZE = 4096;
    public static final int MAX_FEATURE_WORDS = 7;
    public static final long MORE_WORDS = 1L << 63;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("magic"),
            MemoryLayout.structLayout(
                    JAVA_SHORT.withName("abi_major"),
                    JAVA_SHORT.withName("abi_minor")).withName("abi"),
            JAVA_INT.withName("header_size"),
            JAVA_INT.withName("slot_size"),
            JAVA_INT.withName("struct_size"),
            JAVA_INT.withName("slots_per_page"),
            JAVA_INT.withName("publisher_kind"),
            JAVA_INT.withName("owner_pid"),
            JAVA_INT.withName("page_count"),
            JAVA_LONG.withName("created_at_ns"),
            JAVA_LONG.withName("sample_interval_ns"),
            JAVA_INT.withName("feature_words"),
            JAVA_INT.withName("max_pages"),
            MemoryLayout.sequenceLayout(MAX_FEATURE_WORDS, JAVA_LONG).withName("features"),
            JAVA_LONG.withName("owner_start_ticks")).withName("taskshared_header");

    public static final long OFF_MAGIC = off("magic");
    public static final long OFF_ABI_MAJOR = 8;
    public static final long OFF_ABI_MINOR = 10;
    public static final long OFF_HEADER_SIZE = off("header_size");
    public static final long OFF_SLOT_SIZE = off("slot_size");
    public static final long OFF_STRUCT_SIZE = off("struct_size");
    public static final long OFF_SLOTS_PER_PAGE = off("slots_per_page");
    public static final long OFF_PUBLISHER_KIND = off("publisher_kind");
    public static final long OFF_OWNER_PID = off("owner_pid");
    public static final long OFF_PAGE_COUNT = off("page_count");
    public static final long OFF_CREATED_AT_NS = off("created_at_ns");
    public static final long OFF_SAMPLE_INTERVAL_NS = off("sample_interval_ns");
    public static final long OFF_FEATURE_WORDS = off("feature_words");
    public static final long OFF_MAX_PAGES = off("max_pages");
    public static final long OFF_FEATURES = off("features");
    public static final long OFF_OWNER_START_TICKS = off("owner_start_ticks");
    public static final long OFF_PAGE_TABLE = LAYOUT.byteSize();
    /** Pages one header can describe: 496 pages, 15,872 threads. */
    public static final int MAX_PAGES = (int) ((HEADER_SIZE - OFF_PAGE_TABLE) / 8);

    public static final long PAGE_IN_FILE = 1L << 56;
    public static final long PAGE_IN_BPF_MAP = 2L << 56;
    public static final long PAGE_KIND_MASK = 0xffL << 56;

    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    private RegionHeader() {
    }

    private static long off(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    /** Writes a fresh header with no pages and no owner start time (0: unknown). */
    public static void write(MemorySegment h, int publisherKind, int ownerPid, long createdAtNanos,
                             long sampleIntervalNanos, long[] featureWords) {
        write(h, publisherKind, ownerPid, 0, createdAtNanos, sampleIntervalNanos, featureWords);
    }

    /**
     * Writes a fresh header with no pages. The writer is the region's owner, before anyone maps it.
     *
     * @param ownerStartTicks the owner process's start time (/proc/&lt;pid&gt;/stat field 22)
     */
    public static void write(MemorySegment h, int publisherKind, int ownerPid, long ownerStartTicks, long createdAtNanos,
                             long sampleIntervalNanos, long[] featureWords) {
        if (featureWords.length == 0 || featureWords.length > MAX_FEATURE_WORDS) {
            throw new IllegalArgumentException("feature words: 1 to " + MAX_FEATURE_WORDS + ", got " + featureWords.length);
        }
        h.asSlice(0, HEADER_SIZE).fill((byte) 0);
        h.set(JAVA_SHORT, OFF_ABI_MAJOR, (short) ABI_MAJOR);
        h.set(JAVA_SHORT, OFF_ABI_MINOR, (short) ABI_MINOR);
        h.set(JAVA_INT, OFF_HEADER_SIZE, HEADER_SIZE);
        h.set(JAVA_INT, OFF_SLOT_SIZE, SlotLayout.SLOT_SIZE);
        h.set(JAVA_INT, OFF_STRUCT_SIZE, SlotLayout.STRUCT_SIZE);
        h.set(JAVA_INT, OFF_SLOTS_PER_PAGE, SlotLayout.SLOTS_PER_PAGE);
        h.set(JAVA_INT, OFF_PUBLISHER_KIND, publisherKind);
        h.set(JAVA_INT, OFF_OWNER_PID, ownerPid);
        h.set(JAVA_LONG, OFF_OWNER_START_TICKS, ownerStartTicks);
        h.set(JAVA_LONG, OFF_CREATED_AT_NS, createdAtNanos);
        h.set(JAVA_LONG, OFF_SAMPLE_INTERVAL_NS, sampleIntervalNanos);
        h.set(JAVA_INT, OFF_FEATURE_WORDS, featureWords.length);
        h.set(JAVA_INT, OFF_MAX_PAGES, MAX_PAGES);
        for (int i = 0; i < featureWords.length; i++) {
            long w = featureWords[i] & ~MORE_WORDS;
            h.set(JAVA_LONG, OFF_FEATURES + 8L * i, i + 1 < featureWords.length ? w | MORE_WORDS : w);
        }
        // The magic goes last: a reader that sees it sees a complete header.
        h.set(JAVA_LONG, OFF_MAGIC, MAGIC);
    }

    /** Publishes page {@code index} (its table entry first, then the count, with release order). */
    public static void publishPage(MemorySegment h, int index, long tableEntry) {
        h.set(JAVA_LONG, OFF_PAGE_TABLE + 8L * index, tableEntry);
        INT.setRelease(h, OFF_PAGE_COUNT, index + 1);
    }

    /** Publishes the sampler's live period (opaque store: a monitor polls it, nothing is ordered by it). */
    public static void publishSampleInterval(MemorySegment h, long periodNanos) {
        LONG.setOpaque(h, OFF_SAMPLE_INTERVAL_NS, periodNanos);
    }

    /** The sampler's live period as last published (pairs with {@link #publishSampleInterval}). */
    public static long sampleInterval(MemorySegment h) {
        return (long) LONG.getOpaque(h, OFF_SAMPLE_INTERVAL_NS);
    }

    /** Pages published so far, read with acquire order (pairs with {@link #publishPage}). */
    public static int pageCount(MemorySegment h) {
        return (int) INT.getAcquire(h, OFF_PAGE_COUNT);
    }

    public static long pageTableEntry(MemorySegment h, int index) {
        return h.get(JAVA_LONG, OFF_PAGE_TABLE + 8L * index);
    }

    /**
     * Reads and validates a header written by any version of the library.
     *
     * @throws RegionFormatException naming what is wrong: not a taskshared region, another ABI
     *     major version, impossible sizes or counts
     */
    public static HeaderInfo read(MemorySegment h, String source) {
        if (h.byteSize() < OFF_PAGE_TABLE) {
            throw new RegionFormatException(source + ": " + h.byteSize() + " bytes is too small for a taskshared header (" + OFF_PAGE_TABLE + " at least)");
        }
        long magic = h.get(JAVA_LONG, OFF_MAGIC);
        if (magic != MAGIC) {
            throw new RegionFormatException(String.format("%s: not a taskshared region (magic 0x%016x, expected 0x%016x)", source, magic, MAGIC));
        }
        int major = Short.toUnsignedInt(h.get(JAVA_SHORT, OFF_ABI_MAJOR));
        int minor = Short.toUnsignedInt(h.get(JAVA_SHORT, OFF_ABI_MINOR));
        if (major != ABI_MAJOR) {
            throw new RegionFormatException(source + ": ABI version " + major + "." + minor + " is not readable by ABI " + ABI_MAJOR + "." + ABI_MINOR + " (major versions differ)");
        }
        int headerSize = h.get(JAVA_INT, OFF_HEADER_SIZE);
        int slotSize = h.get(JAVA_INT, OFF_SLOT_SIZE);
        int structSize = h.get(JAVA_INT, OFF_STRUCT_SIZE);
        int slotsPerPage = h.get(JAVA_INT, OFF_SLOTS_PER_PAGE);
        int maxPages = h.get(JAVA_INT, OFF_MAX_PAGES);
        if (headerSize != HEADER_SIZE || slotSize != SlotLayout.SLOT_SIZE || slotsPerPage != SlotLayout.SLOTS_PER_PAGE) {
            throw new RegionFormatException(source + ": corrupted header: header_size " + headerSize + ", slot_size " + slotSize
                    + ", slots_per_page " + slotsPerPage + " (expected " + HEADER_SIZE + ", " + SlotLayout.SLOT_SIZE + ", " + SlotLayout.SLOTS_PER_PAGE + ")");
        }
        if (structSize < 8 || structSize > slotSize) {
            throw new RegionFormatException(source + ": corrupted header: struct_size " + structSize + " outside 8.." + slotSize);
        }
        if (maxPages <= 0 || OFF_PAGE_TABLE + 8L * maxPages > headerSize) {
            throw new RegionFormatException(source + ": corrupted header: max_pages " + maxPages + " does not fit the header");
        }
        int pageCount = pageCount(h);
        if (pageCount < 0 || pageCount > maxPages) {
            throw new RegionFormatException(source + ": corrupted header: page_count " + pageCount + " outside 0.." + maxPages);
        }
        int words = h.get(JAVA_INT, OFF_FEATURE_WORDS);
        if (words < 1 || words > MAX_FEATURE_WORDS) {
            throw new RegionFormatException(source + ": corrupted header: feature_words " + words + " outside 1.." + MAX_FEATURE_WORDS);
        }
        long[] features = new long[words];
        for (int i = 0; i < words; i++) {
            long w = h.get(JAVA_LONG, OFF_FEATURES + 8L * i);
            boolean more = (w & MORE_WORDS) != 0;
            if (more != (i + 1 < words)) {
                throw new RegionFormatException(source + ": corrupted header: feature word " + i + " continuation bit disagrees with feature_words " + words);
            }
            features[i] = w & ~MORE_WORDS;
        }
        int kind = h.get(JAVA_INT, OFF_PUBLISHER_KIND);
        return new HeaderInfo(major, minor, structSize, kind, h.get(JAVA_INT, OFF_OWNER_PID),
                h.get(JAVA_LONG, OFF_CREATED_AT_NS), h.get(JAVA_LONG, OFF_SAMPLE_INTERVAL_NS), features, maxPages,
                h.get(JAVA_LONG, OFF_OWNER_START_TICKS));
    }
}
