package dev.taskshared.region;

import java.lang.foreign.MemorySegment;

/**
 * Maps pages that live outside the region file (a BPF-mode region's pages are BPF maps, named by
 * id in its page table). Owned by the {@link RegionReader} that uses it, and closed with it.
 */
public interface PageOpener extends AutoCloseable {

    /**
     * The page held in the object of the given id, at least {@link SlotLayout#PAGE_SIZE} bytes,
     * valid until this opener is closed.
     *
     * @throws RuntimeException with the reason it cannot (for example EPERM without CAP_SYS_ADMIN)
     */
    MemorySegment open(long id);

    @Override
    void close();
}
