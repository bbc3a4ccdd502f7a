package dev.taskshared.region;

import dev.taskshared.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The owner's side of a shared region: an anonymous memfd holding the header and, in sampling
 * mode, the pages of slots, mapped MAP_SHARED. It has no name in any file system, so no other
 * user can pre-create, replace or hold it, and nothing is left when the process ends, even by
 * kill -9: the kernel frees it with the last descriptor and mapping. The descriptor stays open
 * (close-on-exec) so that a monitor of the same user, or root, can open it as
 * {@code /proc/<pid>/fd/<n>} (see {@link RegionLocator}); the memfd's name, shown in that link as
 * {@code /memfd:<name> (deleted)}, tells it from the process's other descriptors.
 *
 * <p>The memfd is sized for {@link RegionHeader#MAX_PAGES} pages up front but is sparse: shmem
 * gives memory only to pages that are touched, so memory grows with live threads while pages
 * never move.
 *
 * <p>Not thread-safe: the registry serialises page additions; slot contents have their own
 * seqlock.
 */
public final class Region implements AutoCloseable {
    public static final long FILE_SIZE = RegionHeader.HEADER_SIZE + (long) RegionHeader.MAX_PAGES * SlotLayout.PAGE_SIZE;

    private final int fd;
    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final MemorySegment[] pages = new MemorySegment[RegionHeader.MAX_PAGES];
    private int pageCount;
    private boolean closed;

    private Region(int fd, Path path, Arena arena, MemorySegment file) {
        this.fd = fd;
        this.path = path;
        this.arena = arena;
        this.file = file;
    }

    /**
     * Creates the region as a memfd named {@code memfdName}, maps it and writes a header with no
     * pages, stamped with the owner's pid and start time. Keeps one descriptor.
     *
     * @param ownerPid the process whose threads the region describes (its start time is read now)
     * @throws dev.taskshared.sys.ErrnoException if the memfd cannot be created or mapped
     */
    public static Region create(String memfdName, int publisherKind, int ownerPid, long createdAtNanos,
                                long sampleIntervalNanos, long[] featureWords) {
        long ownerStart = ProcessStart.ticks(ownerPid);
        if (ownerStart < 0) {
            throw new IllegalArgumentException("no process " + ownerPid);
        }
        int fd = Libc.memfdCreate(memfdName, Libc.MFD_CLOEXEC);
        // A shared arena: closing the region makes later reads throw instead of faulting.
        Arena arena = Arena.ofShared();
        MemorySegment file;
        try {
            Libc.ftruncate(fd, FILE_SIZE);
            file = Libc.mmapSegment(arena, FILE_SIZE, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        } catch (RuntimeException e) {
            arena.close();
            Libc.closeQuietly(fd);
            throw e;
        }
        Region r = new Region(fd, Path.of("/proc/" + Libc.getpid() + "/fd/" + fd), arena, file);
        RegionHeader.write(r.header(), publisherKind, ownerPid, ownerStart, createdAtNanos, sampleIntervalNanos, featureWords);
        return r;
    }

    /**
     * Where another process opens this region while it is open: {@code /proc/<pid>/fd/<n>} of
     * this process (same user or root only, as the kernel checks ptrace read access).
     */
    public Path path() {
        return path;
    }

    /** The memfd's descriptor in this process. */
    public int fd() {
        return fd;
    }

    public MemorySegment header() {
        return file.asSlice(0, RegionHeader.HEADER_SIZE);
    }

    /** The region-backed memory of page {@code index} (for publishers whose pages live in the region). */
    public MemorySegment filePage(int index) {
        checkPageIndex(index);
        return file.asSlice(RegionHeader.HEADER_SIZE + (long) index * SlotLayout.PAGE_SIZE, SlotLayout.PAGE_SIZE);
    }

    /** Offset of page {@code index} in the region, for its page-table entry. */
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

    /**
     * Unmaps the region and closes its descriptor; reads through handles into it then throw
     * IllegalStateException. Monitors that mapped it keep their view until they close it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
        Libc.closeQuietly(fd);
    }
}
