package dev.taskshared.publisher;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.exit.ThreadExit;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The record the BPF publisher's sched_process_exit program writes into the ring buffer at a
 * registered thread's exit: its slot's final numbers and the CPU it exited on. Declared once; the
 * program ({@link SchedPrograms#schedProcessExit}) writes at these offsets and {@link #decode}
 * reads them into the exported {@link ThreadExit}.
 *
 * <pre>
 *  0 | tid u32        | tgid u32      |
 *  8 | cpu u32        | slot u32      |
 * 16 | exit_time_ns (CLOCK_MONOTONIC) |
 * 24 | sum_exec_runtime_ns            |
 * 32 | run_delay_ns                   |
 * 40 | pcount                         |
 * 48 | off_cpu_ns                     |
 * 56 | nvcsw                          |
 * 64 | nivcsw                         |
 * 72 | migrations                     |
 * 80 | comm[16]                       |
 * 96
 * </pre>
 */
final class ExitRingRecord {
    static final int TID = 0;
    static final int TGID = 4;
    static final int CPU = 8;
    static final int SLOT = 12;
    static final int EXIT_TIME_NS = 16;
    static final int SUM_EXEC_RUNTIME_NS = 24;
    static final int RUN_DELAY_NS = 32;
    static final int PCOUNT = 40;
    static final int OFF_CPU_NS = 48;
    static final int NVCSW = 56;
    static final int NIVCSW = 64;
    static final int MIGRATIONS = 72;
    static final int COMM = 80;
    static final int COMM_SIZE = 16;
    static final int SIZE = 96;

    private ExitRingRecord() {
    }

    /** Decodes a record from the ring buffer. */
    static ThreadExit decode(MemorySegment r) {
        if (r.byteSize() < SIZE) {
            throw new IllegalArgumentException("exit record of " + r.byteSize() + " bytes, expected " + SIZE);
        }
        byte[] comm = r.asSlice(COMM, COMM_SIZE).toArray(ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < comm.length && comm[len] != 0) {
            len++;
        }
        return new ThreadExit(r.get(JAVA_INT, TID), r.get(JAVA_INT, TGID), r.get(JAVA_INT, CPU), r.get(JAVA_INT, SLOT),
                r.get(JAVA_LONG, EXIT_TIME_NS), r.get(JAVA_LONG, SUM_EXEC_RUNTIME_NS), r.get(JAVA_LONG, RUN_DELAY_NS),
                r.get(JAVA_LONG, PCOUNT), r.get(JAVA_LONG, OFF_CPU_NS), r.get(JAVA_LONG, NVCSW), r.get(JAVA_LONG, NIVCSW),
                r.get(JAVA_LONG, MIGRATIONS), new String(comm, 0, len, StandardCharsets.UTF_8));
    }
}
