package dev.taskshared.region;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The 128-byte per-thread slot, declared once. Other processes and the BPF publisher read and
 * write it at these offsets, so they are ABI: fields are only ever appended (growing
 * {@link #STRUCT_SIZE}), never moved.
 *
 * <pre>
 *   0 +-----------+-----------+       writers
 *     | seq  u32  | tid  u32  |       seq: publisher (odd = write in progress); tid: registry
 *   8 | sum_exec_runtime_ns   |       publisher
 *  16 | on_cpu_since_ns       |       publisher (0 while off CPU)
 *  24 | run_delay_ns          |       publisher
 *  32 | pcount                |       publisher
 *  40 | off_cpu_ns            |       publisher
 *  48 | nvcsw                 |       publisher
 *  56 | nivcsw                |       publisher
 *  64 | migrations            |       publisher
 *  72 | cpu  u32  | gen  u32  |       cpu: publisher; gen: registry, bumped at every registration
 *  80 | off_cpu_origin_ns     |       publisher-private: registration time - CPU time then
 *  88 | runnable_since_ns     |       unused since ABI 1.1 (was publisher-private)
 *  96 | registered_at_ns      |       registry (CLOCK_MONOTONIC)
 * 104 | utime_ns              |       publisher: task_struct utime as the kernel keeps it (ABI 1.1)
 * 112 | stime_ns              |       publisher: task_struct stime (ABI 1.1)
 * 120 | state u32 | rsvd u32  |       publisher: {@link #STATE_LIVE}, {@link #STATE_EXITED} (ABI 1.1)
 * 128 +-----------------------+
 * </pre>
 */
public final class SlotLayout {
    public static final int SLOT_SIZE = 128;
    public static final int PAGE_SIZE = 4096;
    public static final int SLOTS_PER_PAGE = PAGE_SIZE / SLOT_SIZE;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("seq"),
            JAVA_INT.withName("tid"),
            JAVA_LONG.withName("sum_exec_runtime_ns"),
            JAVA_LONG.withName("on_cpu_since_ns"),
            JAVA_LONG.withName("run_delay_ns"),
            JAVA_LONG.withName("pcount"),
            JAVA_LONG.withName("off_cpu_ns"),
            JAVA_LONG.withName("nvcsw"),
            JAVA_LONG.withName("nivcsw"),
            JAVA_LONG.withName("migrations"),
            JAVA_INT.withName("cpu"),
            JAVA_INT.withName("generation"),
            JAVA_LONG.withName("off_cpu_origin_ns"),
            JAVA_LONG.withName("runnable_since_ns"),
            JAVA_LONG.withName("registered_at_ns"),
            JAVA_LONG.withName("utime_ns"),
            JAVA_LONG.withName("stime_ns"),
            JAVA_INT.withName("state"),
            MemoryLayout.paddingLayout(4)).withName("taskshared_slot");

    public static final long SEQ = offset("seq");
    public static final long TID = offset("tid");
    public static final long SUM_EXEC_RUNTIME_NS = offset("sum_exec_runtime_ns");
    public static final long ON_CPU_SINCE_NS = offset("on_cpu_since_ns");
    public static final long RUN_DELAY_NS = offset("run_delay_ns");
    public static final long PCOUNT = offset("pcount");
    public static final long OFF_CPU_NS = offset("off_cpu_ns");
    public static final long NVCSW = offset("nvcsw");
    public static final long NIVCSW = offset("nivcsw");
    public static final long MIGRATIONS = offset("migrations");
    public static final long CPU = offset("cpu");
    public static final long GENERATION = offset("generation");
    public static final long OFF_CPU_ORIGIN_NS = offset("off_cpu_origin_ns");
    public static final long RUNNABLE_SINCE_NS = offset("runnable_since_ns");
    public static final long REGISTERED_AT_NS = offset("registered_at_ns");
    public static final long UTIME_NS = offset("utime_ns");
    public static final long STIME_NS = offset("stime_ns");
    public static final long STATE = offset("state");

    /** {@link #STATE}: the thread is registered and (as far as the publisher knows) alive. */
    public static final int STATE_LIVE = 0;
    /** {@link #STATE}: the publisher saw the thread exit; the numbers are final and the slot may be reclaimed. */
    public static final int STATE_EXITED = 1;

    /** Bytes of the slot this version defines (the rest is reserved). */
    public static final int STRUCT_SIZE = (int) (STATE + 4);

    private SlotLayout() {
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }
}
