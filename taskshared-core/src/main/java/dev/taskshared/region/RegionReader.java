package dev.taskshared.region;

import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Another thread's or process's read-only view of a region. The header is validated once, at
 * open; pages published later are picked up by {@link #refresh()}. Slots are read with
 * {@link SlotReader} under their seqlock.
 *
 * <p>Not thread-safe; one reader per monitoring thread.
 */
public final class RegionReader implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final HeaderInfo info;
    private final long usableFeatures;
    private final PageOpener bpfPages;
    private final MemorySegment[] pages;
    private int pageCount;

    private RegionReader(Path path, Arena arena, MemorySegment file, HeaderInfo info, PageOpener bpfPages) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.info = info;
        this.usableFeatures = Negotiation.usable(info);
        this.bpfPages = bpfPages;
        this.pages = new MemorySegment[info.maxPages()];
    }

    /**
     * Maps {@code path} read-only and validates its header.
     *
     * @param bpfPages opens pages held in BPF maps (BPF-mode regions), and is closed with this
     *     reader; null when the caller cannot, in which case such pages read as null
     * @throws RegionFormatException for a foreign, corrupted or incompatible file
     * @throws IOException if the file cannot be opened
     */
    public static RegionReader open(Path path, PageOpener bpfPages) throws IOException {
        long size = Files.size(path);
        if (size < RegionHeader.HEADER_SIZE) {
            throw new RegionFormatException(path + ": " + size + " bytes is too small for a taskshared region (header is " + RegionHeader.HEADER_SIZE + ")");
        }
        long length = Math.min(size, Region.FILE_SIZE);
        int fd;
        try {
            fd = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file = Libc.mmapSegment(arena, length, Libc.PROT_READ, Libc.MAP_SHARED, fd, 0);
            HeaderInfo info = RegionHeader.read(file, path.toString());
            RegionReader r = new RegionReader(path, arena, file, info, bpfPages);
            r.refresh();
            return r;
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        } finally {
            Libc.closeQuietly(fd);
        }
    }

    public HeaderInfo header() {
        return info;
    }

    /** Word 0 of the features both the writer and this reader support. */
    public long usableFeatures() {
        return usableFeatures;
    }

    public Path path() {
        return path;
    }

    /** Maps pages published since the last call; returns the page count. */
    public int refresh() {
        int published = RegionHeader.pageCount(file);
        if (published > info.maxPages()) {
            throw new RegionFormatException(path + ": corrupted header: page_count " + published + " exceeds max_pages " + info.maxPages());
        }
        for (int i = pageCount; i < published; i++) {
            pages[i] = resolve(i, RegionHeader.pageTableEntry(file, i));
        }
        pageCount = published;
        return pageCount;
    }

    private MemorySegment resolve(int index, long entry) {
        long kind = entry & RegionHeader.PAGE_KIND_MASK;
        long value = entry & ~RegionHeader.PAGE_KIND_MASK;
        if (kind == RegionHeader.PAGE_IN_FILE) {
            if (value < RegionHeader.HEADER_SIZE || value % SlotLayout.PAGE_SIZE != 0 || value + SlotLayout.PAGE_SIZE > file.byteSize()) {
                throw new RegionFormatException(path + ": corrupted page table: page " + index + " at file offset " + value
                        + " is outside the file's " + file.byteSize() + " bytes");
            }
            return file.asSlice(value, SlotLayout.PAGE_SIZE);
        }
        if (kind == RegionHeader.PAGE_IN_BPF_MAP) {
            if (bpfPages == null) {
                return null;
            }
            MemorySegment page;
            try {
                page = bpfPages.open(value);
            } catch (RuntimeException e) {
                throw new RegionFormatException(path + ": page " + index + " lives in BPF map " + value + ", which cannot be opened: " + e.getMessage());
            }
            if (page == null || page.byteSize() < SlotLayout.PAGE_SIZE) {
                throw new RegionFormatException(path + ": page " + index + " (BPF map id " + value + ") could not be mapped");
            }
            return page;
        }
        throw new RegionFormatException(String.format("%s: corrupted page table: page %d has unknown kind 0x%x", path, index, kind >>> 56));
    }

    public int pageCount() {
        return pageCount;
    }

    /** Slots in published pages. */
    public int slotCount() {
        return pageCount * SlotLayout.SLOTS_PER_PAGE;
    }

    /** Slot {@code index}, or null when its page lives in a BPF map this reader cannot open. */
    public MemorySegment slot(int index) {
        MemorySegment page = pages[index / SlotLayout.SLOTS_PER_PAGE];
        return page == null ? null : page.asSlice((long) (index % SlotLayout.SLOTS_PER_PAGE) * SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE);
    }

    @Override
    public void close() {
        arena.close();
        if (bpfPages != null) {
            bpfPages.close();
        }
    }
}
