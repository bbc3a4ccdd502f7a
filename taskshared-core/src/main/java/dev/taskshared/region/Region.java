package dev.taskshared.region;

import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The owner's side of a shared region: a file under /dev/shm (mode 0600) holding the header and,
 * in sampling mode, the pages of slots. The file is sized for {@link RegionHeader#MAX_PAGES}
 * pages up front but is sparse: tmpfs gives memory only to pages that are touched, so memory
 * grows with live threads while pages never move.
 *
 * <p>Not thread-safe: the registry serialises page additions; slot contents have their own
 * seqlock.
 */
public final class Region implements AutoCloseable {
    public static final long FILE_SIZE = RegionHeader.HEADER_SIZE + (long) RegionHeader.MAX_PAGES * SlotLayout.PAGE_SIZE;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final MemorySegment[] pages = new MemorySegment[RegionHeader.MAX_PAGES];
    private int pageCount;
    private boolean closed;

    private Region(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
    }

    /**
     * Creates the region file (it must not exist), maps it and writes a header with no pages.
     *
     * @throws dev.taskshared.sys.ErrnoException if the file exists or cannot be created
     */
    public static Region create(Path path, int publisherKind, int ownerPid, long createdAtNanos,
                                long sampleIntervalNanos, long[] featureWords) {
        int fd = Libc.open(path.toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0600);
        // A shared arena: closing the region makes later reads throw instead of faulting.
        Arena arena = Arena.ofShared();
        MemorySegment file;
        try {
            Libc.ftruncate(fd, FILE_SIZE);
            file = Libc.mmapSegment(arena, FILE_SIZE, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        } catch (RuntimeException e) {
            arena.close();
            unlinkQuietly(path);
            throw e;
        } finally {
            Libc.closeQuietly(fd); // the mapping keeps the file alive
        }
        Region r = new Region(path, arena, file);
        RegionHeader.write(r.header(), publisherKind, ownerPid, createdAtNanos, sampleIntervalNanos, featureWords);
        return r;
    }

    public Path path() {
        return path;
    }

    public MemorySegment header() {
        return file.asSlice(0, RegionHeader.HEADER_SIZE);
    }

    /** The file-backed memory of page {@code index} (for publishers whose pages live in the file). */
    public MemorySegment filePage(int index) {
        checkPageIndex(index);
        return file.asSlice(RegionHeader.HEADER_SIZE + (long) index * SlotLayout.PAGE_SIZE, SlotLayout.PAGE_SIZE);
    }

    /** File offset of page {@code index}, for its page-table entry. */
    public static long filePageOffset(int index) {
        return RegionHeader.HEADER_SIZE + (long) index * SlotLayout.PAGE_SIZE;
    }

    /** Adds the next page, whose memory the publisher provides, and publishes it in the header. */
    public int addPage(MemorySegment memory, long tableEntry) {
        if (pageCount == RegionHeader.MAX_PAGES) {
            throw new IllegalStateException("region is full: " + RegionHeader.MAX_PAGES + " pages of " + SlotLayout.SLOTS_PER_PAGE + " slots");
        }
        if (memory.byteSize() < SlotLayout.PAGE_SIZE) {
            throw new IllegalArgumentException("page memory of " + memory.byteSize() + " bytes, need " + SlotLayout.PAGE_SIZE);
        }
        int index = pageCount;
        pages[index] = memory.asSlice(0, SlotLayout.PAGE_SIZE);
        pageCount++;
        RegionHeader.publishPage(header(), index, tableEntry);
        return index;
    }

    public int pageCount() {
        return pageCount;
    }

    /** Slot {@code slotIndex} (page = index / 32). */
    public MemorySegment slot(int slotIndex) {
        int page = slotIndex / SlotLayout.SLOTS_PER_PAGE;
        if (slotIndex < 0 || page >= pageCount) {
            throw new IndexOutOfBoundsException("slot " + slotIndex + " of " + pageCount * SlotLayout.SLOTS_PER_PAGE);
        }
        return pages[page].asSlice((long) (slotIndex % SlotLayout.SLOTS_PER_PAGE) * SlotLayout.SLOT_SIZE, SlotLayout.SLOT_SIZE);
    }

    private static void checkPageIndex(int index) {
        if (index < 0 || index >= RegionHeader.MAX_PAGES) {
            throw new IndexOutOfBoundsException("page " + index + " of " + RegionHeader.MAX_PAGES);
        }
    }

    /** Removes the file and unmaps it; reads through handles into it then throw IllegalStateException. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        unlinkQuietly(path);
        arena.close();
    }

    private static void unlinkQuietly(Path p) {
        try {
            Libc.unlink(p.toString());
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT) { // ENOENT: already gone, removed by someone else
                System.getLogger(Region.class.getName()).log(System.Logger.Level.WARNING, "could not remove " + p, e);
            }
        }
    }
}
