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

    /**
     * Opens process {@code pid}'s default region ({@link RegionLocator}) and checks that its
     * header names that very process: owner pid equal to {@code pid} and owner start time equal
     * to /proc/&lt;pid&gt;/stat's, so that a region inherited from or passed by another process is
     * never taken for this one's.
     *
     * @return the reader, or null when the process has no region this user can open
     * @throws RegionFormatException when it holds regions, none of which is its own (with why)
     */
    public static RegionReader open(int pid, PageOpener bpfPages) throws IOException {
        long start = ProcessStart.ticks(pid);
        String rejected = null;
        for (Path candidate : RegionLocator.candidates(pid)) {
            RegionReader r;
            try {
                r = open(candidate, bpfPages);
            } catch (IOException | RegionFormatException e) {
                rejected = e.getMessage();
                continue; // closed meanwhile, or not readable: try the next
            }
            String why = r.ownerMismatch(pid, start);
            if (why == null) {
                return r;
            }
            rejected = candidate + ": " + why;
            r.arena.close(); // not ours: do not close the page opener, the next candidate uses it
        }
        if (rejected != null) {
            throw new RegionFormatException("process " + pid + " holds no region of its own (" + rejected + ")");
        }
        return null;
    }

    /** Why this region is not process {@code pid}'s (started at {@code startTicks}), or null when it is. */
    private String ownerMismatch(int pid, long startTicks) {
        if (info.ownerPid() != pid) {
            return "its owner is process " + info.ownerPid();
        }
        if (startTicks < 0) {
            return "process " + pid + " has exited";
        }
        if (info.ownerStartTicks() != 0 && info.ownerStartTicks() != startTicks) {
            return "its owner started at tick " + info.ownerStartTicks() + ", process " + pid + " at tick " + startTicks
                    + ": a different process with the same pid";
        }
        return null;
    }

    /**
     * Null while the region's owner is still the process running under its pid; otherwise why
     * not (it exited, or the pid now belongs to a later process). One small /proc read: a monitor
     * calls it once per refresh, so that it never shows a dead process's threads as a new one's.
     */
    public String ownerGone() {
        long start = ProcessStart.ticks(info.ownerPid());
        if (start < 0) {
            return "process " + info.ownerPid() + " exited";
        }
        if (info.ownerStartTicks() != 0 && info.ownerStartTicks() != start) {
            return "process " + info.ownerPid() + " exited; pid " + info.ownerPid() + " now belongs to another process";
        }
        return null;
    }

    /** The writer's live sampling period (0 unless sampling), as last published. */
    public long samplePeriodNanos() {
        return RegionHeader.sampleInterval(file);
    }

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
     * Maps {@code path} read-only and validates its header (the owner is not checked: see
     * {@link #open(int, PageOpener)}).
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
