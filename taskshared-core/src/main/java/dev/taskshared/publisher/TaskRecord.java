package dev.taskshared.publisher;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The programs' private record of one registered task, declared once: the value of the
 * task-storage map on the task-storage data path (whose first field the kernel turns into a
 * pinned pointer to the thread's slot, a {@code __uptr}), and the value of the tid hash on the
 * map-pages path. Registration writes it; only the programs read it.
 *
 * <pre>
 *  0 | slot: __uptr to the slot (task storage); 0 (map pages)        |
 *  8 | nvcsw_base:  task_struct nvcsw at registration                 |
 * 16 | nivcsw_base: task_struct nivcsw at registration                |
 * 24 | flags u32 (bit 0: seeded) | slot_index u32 (global slot index)  |
 * 32
 * </pre>
 *
 * A record that is not yet seeded is skipped by the scheduler programs: registration fills the
 * slot and the baselines first (the seed program, or Java for a foreign thread).
 */
final class TaskRecord {
    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("slot"),
            JAVA_LONG.withName("nvcsw_base"),
            JAVA_LONG.withName("nivcsw_base"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("slot_index")).withName("ts_task");

    static final int SLOT = offset("slot");
    static final int NVCSW_BASE = offset("nvcsw_base");
    static final int NIVCSW_BASE = offset("nivcsw_base");
    static final int FLAGS = offset("flags");
    static final int SLOT_INDEX = offset("slot_index");
    static final int SIZE = (int) LAYOUT.byteSize();

    /** {@link #FLAGS}: the slot and baselines are filled; the scheduler programs may write. */
    static final int SEEDED = 1;

    private TaskRecord() {
    }

    private static int offset(String name) {
        return (int) LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
