package dev.taskshared.publisher;

import dev.taskshared.exit.ThreadExit;
import dev.taskshared.region.PublisherKind;
import dev.taskshared.region.Region;
import java.lang.foreign.MemorySegment;

/**
 * What fills the slots: the BPF program in the kernel, or a sampling thread. The registry owns
 * slot allocation and calls these methods under its lock; the publisher writes slot fields
 * under the slot's seqlock.
 */
public interface Publisher extends AutoCloseable {

    /** Memory for a new page of slots and its page-table entry ({@link dev.taskshared.region.RegionHeader}). */
    record Page(MemorySegment memory, long tableEntry) {
    }

    PublisherKind kind();

    /** Word 0 of the features this publisher fills. */
    long features();

    /** Sampling period in nanoseconds, 0 for a publisher that writes at every switch. */
    long sampleIntervalNanos();

    /** Memory for page {@code index}, zeroed, {@link dev.taskshared.region.SlotLayout#PAGE_SIZE} bytes. */
    Page newPage(int index, Region region);

    /**
     * Whether the registry must keep a {@link ProcTask} (open /proc descriptors) per registered
     * thread; when false it passes null and learns of exits from the slot's state.
     */
    default boolean needsProcTask() {
        return true;
    }

    /**
     * Starts publishing thread {@code tid} of process {@code pid} into {@code slot}, already
     * claimed for it. Totals are seeded from the kernel's own values so that they mean what
     * /proc/&lt;tid&gt;/schedstat means.
     *
     * @param task the thread's kept /proc descriptors, or null when {@link #needsProcTask()} is false
     */
    void register(int pid, int tid, ProcTask task, int slotIndex, MemorySegment slot);

    /** Stops publishing into {@code slot}; called before the slot is freed. */
    void unregister(int tid, ProcTask task, int slotIndex, MemorySegment slot);

    /**
     * Whether the registered thread still exists, for reclaiming the slots of threads that died
     * without releasing them; {@code slot} is the slot numbered {@code slotIndex}; {@code buf} is
     * scratch of {@link ProcTask#BUFFER_SIZE} bytes.
     */
    default boolean alive(ProcTask task, int slotIndex, MemorySegment slot, MemorySegment buf) {
        return task.alive(buf);
    }

    /**
     * {@link #alive} for the periodic reaper's pass number {@code pass}: a publisher whose exit
     * program marks slots may check the kernel's /proc word for a given slot only on some passes
     * (a backstop), so that idle registered threads cost next to nothing.
     */
    default boolean aliveAtReap(ProcTask task, MemorySegment slot, int slotIndex, long pass, MemorySegment buf) {
        return alive(task, slotIndex, slot, buf);
    }

    /**
     * Where registered threads' exits go, for a publisher that sees them (BPF); others never call
     * it. Called from the publisher's own thread.
     */
    default void setExitSink(java.util.function.Consumer<ThreadExit> sink) {
    }

    /** Exits that could not be reported (a full ring buffer); 0 for publishers that see none. */
    default long lostExits() {
        return 0;
    }

    /**
     * Why the registration in {@code slotIndex} was found dead by {@link #aliveAtReap} although its
     * thread lives (its entry was taken away by another holder of a shared map), or null: the
     * thread exited. Called by the registry, under its lock, before it frees the slot.
     */
    default String lostReason(int slotIndex) {
        return null;
    }

    /** How numbers reach the slots, as {@code doctor --json} spells it: {@code task_storage}, {@code map_pages} or {@code procfs}. */
    default String dataPathName() {
        return "procfs";
    }

    /** Why this publisher was chosen, for {@code doctor} and the API. */
    String description();

    /** Stops publishing and releases every kernel object and thread. Idempotent. */
    @Override
    void close();
}
