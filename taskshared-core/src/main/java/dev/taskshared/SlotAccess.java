package dev.taskshared;

import java.lang.foreign.MemorySegment;

/**
 * Read-only access to a handle's slot for the library's own packages that read slots directly
 * ({@link dev.taskshared.vthread}: a virtual thread's carrier is read at every mount and unmount,
 * under the slot's sequence counter, which the public getters do not expose). Not API.
 */
public final class SlotAccess {
    private SlotAccess() {
    }

    /** {@code stats}'s slot, read-only. Its generation field tells whether the registration is still live. */
    public static MemorySegment readOnlySlot(ThreadStats stats) {
        return stats.slot().asReadOnly();
    }
}
