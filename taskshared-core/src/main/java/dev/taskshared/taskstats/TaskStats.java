package dev.taskshared.taskstats;

import static dev.taskshared.taskstats.TaskStats.Field.Type.COMM;
import static dev.taskshared.taskstats.TaskStats.Field.Type.S8;
import static dev.taskshared.taskstats.TaskStats.Field.Type.U32;
import static dev.taskshared.taskstats.TaskStats.Field.Type.U64;
import static dev.taskshared.taskstats.TaskStats.Field.Type.U8;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.BYTES;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.KIB;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.MB_MICROS;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.MICROS;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.NANOS;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.NONE;
import static dev.taskshared.taskstats.TaskStats.Field.Unit.SECONDS;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * The kernel's {@code struct taskstats} for one task or thread group, decoded by its version:
 * accounting, delay accounting, memory and I/O counters. Immutable and thread-safe.
 *
 * <p>{@link Field} is the one definition of the struct: each field's kernel name, type, unit, the
 * version that added it and where version 15 placed it. The layout of every version
 * ({@link TaskstatsStruct}), decoding, the JSON names ({@link Field#jsonName()}) and the accessors
 * ({@link #get}, {@link #value}) all derive from it: adding a kernel field is one constant there.
 *
 * <p>Values are read by field: {@code stats.value(Field.CPU_DELAY_TOTAL)} is in ns, as
 * {@link Field#unit()} says. Unsigned kernel values are Java longs.
 *
 * <p>A field that the record's {@link #version()} or {@link #structLength()} does not hold is
 * <em>absent</em>: {@link #has} says false, {@link #get} is empty and {@link #value} throws
 * {@link NoSuchElementException} naming the version it needs, rather than returning a wrong 0.
 * Delay fields other than {@code cpu_*} read zero while delay accounting is off
 * ({@link DelayAccounting}); {@code cpu_count}, {@code cpu_delay_total} and the {@code cpu_run_*}
 * totals come from the scheduler and are always filled.
 */
public final class TaskStats {

    /**
     * Every field of the struct after {@code version}, in the kernel's order (version 16's), with
     * its kernel name, type, unit and the version that added it. Fields older than version 9 are
     * recorded as version 2, or 1 for the delay-accounting block every version has. Each
     * {@code *_delay_max/min} names the field version 15 placed it after; {@code ac_uid} is
     * {@code aligned(8)} in the header.
     */
    public enum Field {
        /** Exit status, as wait(2) reports it. */
        AC_EXITCODE("ac_exitcode", U32, NONE, 2),
        /** Accounting flags of linux/acct.h (AFORK, ASU, ACOMPAT, ACORE, AXSIG, AGROUP). */
        AC_FLAG("ac_flag", U8, NONE, 2),
        /** Nice value, -20..19. */
        AC_NICE("ac_nice", S8, NONE, 2),
        /** Times scheduled in (delay accounting). */
        CPU_COUNT("cpu_count", U64, NONE, 1),
        /** Ns runnable but waiting for a CPU. */
        CPU_DELAY_TOTAL("cpu_delay_total", U64, NANOS, 1),
        /** Synchronous block I/O waits. */
        BLKIO_COUNT("blkio_count", U64, NONE, 1),
        /** Ns waiting for synchronous block I/O. */
        BLKIO_DELAY_TOTAL("blkio_delay_total", U64, NANOS, 1),
        /** Swap-in waits. */
        SWAPIN_COUNT("swapin_count", U64, NONE, 1),
        /** Ns waiting for swap-in. */
        SWAPIN_DELAY_TOTAL("swapin_delay_total", U64, NANOS, 1),
        /** Ns of CPU time, utime + stime (tick-based). */
        CPU_RUN_REAL_TOTAL("cpu_run_real_total", U64, NANOS, 1),
        /** Ns on CPU as the scheduler counts it (sum_exec_runtime). */
        CPU_RUN_VIRTUAL_TOTAL("cpu_run_virtual_total", U64, NANOS, 1),
        /** Command name (TASK_COMM_LEN). */
        AC_COMM("ac_comm", COMM, NONE, 2),
        /** Scheduling policy. */
        AC_SCHED("ac_sched", U8, NONE, 2),
        /** User id. */
        AC_UID("ac_uid", U32, NONE, 2, 8),
        /** Group id. */
        AC_GID("ac_gid", U32, NONE, 2),
        /** Thread id (the task's pid). */
        AC_PID("ac_pid", U32, NONE, 2),
        /** Parent process id. */
        AC_PPID("ac_ppid", U32, NONE, 2),
        /** Start time, seconds since 1970 (32-bit). */
        AC_BTIME("ac_btime", U32, SECONDS, 2),
        /** Elapsed wall time since start, µs. */
        AC_ETIME("ac_etime", U64, MICROS, 2),
        /** User CPU time, µs. */
        AC_UTIME("ac_utime", U64, MICROS, 2),
        /** System CPU time, µs. */
        AC_STIME("ac_stime", U64, MICROS, 2),
        /** Minor page faults. */
        AC_MINFLT("ac_minflt", U64, NONE, 2),
        /** Major page faults. */
        AC_MAJFLT("ac_majflt", U64, NONE, 2),
        /** Accumulated RSS, MB-µs. */
        COREMEM("coremem", U64, MB_MICROS, 2),
        /** Accumulated virtual memory, MB-µs. */
        VIRTMEM("virtmem", U64, MB_MICROS, 2),
        /** Peak RSS, KiB. */
        HIWATER_RSS("hiwater_rss", U64, KIB, 2),
        /** Peak virtual memory, KiB. */
        HIWATER_VM("hiwater_vm", U64, KIB, 2),
        /** Bytes read by read-like syscalls. */
        READ_CHAR("read_char", U64, BYTES, 2),
        /** Bytes written by write-like syscalls. */
        WRITE_CHAR("write_char", U64, BYTES, 2),
        /** Read-like syscalls. */
        READ_SYSCALLS("read_syscalls", U64, NONE, 2),
        /** Write-like syscalls. */
        WRITE_SYSCALLS("write_syscalls", U64, NONE, 2),
        /** Bytes of storage read I/O. */
        READ_BYTES("read_bytes", U64, BYTES, 2),
        /** Bytes of storage write I/O. */
        WRITE_BYTES("write_bytes", U64, BYTES, 2),
        /** Bytes of cancelled write I/O. */
        CANCELLED_WRITE_BYTES("cancelled_write_bytes", U64, BYTES, 2),
        /** Voluntary context switches. */
        NVCSW("nvcsw", U64, NONE, 2),
        /** Involuntary context switches. */
        NIVCSW("nivcsw", U64, NONE, 2),
        /** User time scaled by CPU frequency, µs. */
        AC_UTIMESCALED("ac_utimescaled", U64, MICROS, 2),
        /** System time scaled by CPU frequency, µs. */
        AC_STIMESCALED("ac_stimescaled", U64, MICROS, 2),
        /** Scaled cpu_run_real_total, ns. */
        CPU_SCALED_RUN_REAL_TOTAL("cpu_scaled_run_real_total", U64, NANOS, 2),
        /** Memory reclaim waits. */
        FREEPAGES_COUNT("freepages_count", U64, NONE, 2),
        /** Ns waiting for memory reclaim. */
        FREEPAGES_DELAY_TOTAL("freepages_delay_total", U64, NANOS, 2),
        /** Thrashing waits. */
        THRASHING_COUNT("thrashing_count", U64, NONE, 9),
        /** Ns waiting on thrashing pages. */
        THRASHING_DELAY_TOTAL("thrashing_delay_total", U64, NANOS, 9),
        /** Start time, seconds since 1970 (64-bit). */
        AC_BTIME64("ac_btime64", U64, SECONDS, 10),
        /** Memory compaction waits. */
        COMPACT_COUNT("compact_count", U64, NONE, 11),
        /** Ns waiting for memory compaction. */
        COMPACT_DELAY_TOTAL("compact_delay_total", U64, NANOS, 11),
        /** Thread group (process) id. */
        AC_TGID("ac_tgid", U32, NONE, 12),
        /** Thread group wall time up to now, µs. */
        AC_TGETIME("ac_tgetime", U64, MICROS, 12),
        /** Device of the executable. */
        AC_EXE_DEV("ac_exe_dev", U64, NONE, 12),
        /** Inode of the executable. */
        AC_EXE_INODE("ac_exe_inode", U64, NONE, 12),
        /** Write-protect copy (CoW) waits. */
        WPCOPY_COUNT("wpcopy_count", U64, NONE, 13),
        /** Ns waiting for write-protect copies. */
        WPCOPY_DELAY_TOTAL("wpcopy_delay_total", U64, NANOS, 13),
        /** IRQ / softirq delays. */
        IRQ_COUNT("irq_count", U64, NONE, 14),
        /** Ns lost to IRQ / softirq handling. */
        IRQ_DELAY_TOTAL("irq_delay_total", U64, NANOS, 14),
        /** Longest single cpu delay, ns. */
        CPU_DELAY_MAX("cpu_delay_max", U64, NANOS, 15, CPU_DELAY_TOTAL),
        /** Shortest single cpu delay, ns. */
        CPU_DELAY_MIN("cpu_delay_min", U64, NANOS, 15, CPU_DELAY_MAX),
        /** Longest single blkio delay, ns. */
        BLKIO_DELAY_MAX("blkio_delay_max", U64, NANOS, 15, BLKIO_DELAY_TOTAL),
        /** Shortest single blkio delay, ns. */
        BLKIO_DELAY_MIN("blkio_delay_min", U64, NANOS, 15, BLKIO_DELAY_MAX),
        /** Longest single swapin delay, ns. */
        SWAPIN_DELAY_MAX("swapin_delay_max", U64, NANOS, 15, SWAPIN_DELAY_TOTAL),
        /** Shortest single swapin delay, ns. */
        SWAPIN_DELAY_MIN("swapin_delay_min", U64, NANOS, 15, SWAPIN_DELAY_MAX),
        /** Longest single freepages delay, ns. */
        FREEPAGES_DELAY_MAX("freepages_delay_max", U64, NANOS, 15, FREEPAGES_DELAY_TOTAL),
        /** Shortest single freepages delay, ns. */
        FREEPAGES_DELAY_MIN("freepages_delay_min", U64, NANOS, 15, FREEPAGES_DELAY_MAX),
        /** Longest single thrashing delay, ns. */
        THRASHING_DELAY_MAX("thrashing_delay_max", U64, NANOS, 15, THRASHING_DELAY_TOTAL),
        /** Shortest single thrashing delay, ns. */
        THRASHING_DELAY_MIN("thrashing_delay_min", U64, NANOS, 15, THRASHING_DELAY_MAX),
        /** Longest single compact delay, ns. */
        COMPACT_DELAY_MAX("compact_delay_max", U64, NANOS, 15, COMPACT_DELAY_TOTAL),
        /** Shortest single compact delay, ns. */
        COMPACT_DELAY_MIN("compact_delay_min", U64, NANOS, 15, COMPACT_DELAY_MAX),
        /** Longest single wpcopy delay, ns. */
        WPCOPY_DELAY_MAX("wpcopy_delay_max", U64, NANOS, 15, WPCOPY_DELAY_TOTAL),
        /** Shortest single wpcopy delay, ns. */
        WPCOPY_DELAY_MIN("wpcopy_delay_min", U64, NANOS, 15, WPCOPY_DELAY_MAX),
        /** Longest single irq delay, ns. */
        IRQ_DELAY_MAX("irq_delay_max", U64, NANOS, 15, IRQ_DELAY_TOTAL),
        /** Shortest single irq delay, ns. */
        IRQ_DELAY_MIN("irq_delay_min", U64, NANOS, 15, IRQ_DELAY_MAX);

        /** How a field is stored in the struct. */
        public enum Type {
            U8(1), S8(1), U32(4), U64(8), COMM(TaskstatsStruct.TS_COMM_LEN);

            final int size;

            Type(int size) {
                this.size = size;
            }
        }

        /** The unit of a field's value; its JSON suffix says it. */
        public enum Unit {
            /** A count, an id, flags or text. */
            NONE(""),
            NANOS("_ns"),
            MICROS("_us"),
            SECONDS("_s"),
            KIB("_kib"),
            /** Accumulated memory, megabyte-microseconds. */
            MB_MICROS("_mb_us"),
            BYTES("_bytes");

            final String suffix;

            Unit(String suffix) {
                this.suffix = suffix;
            }
        }

        private final String kernelName;
        private final Type type;
        private final Unit unit;
        private final int sinceVersion;
        private final Field version15After;
        private final int alignment;

        Field(String kernelName, Type type, Unit unit, int sinceVersion) {
            this(kernelName, type, unit, sinceVersion, null, type.size);
        }

        /** A field the header declares {@code __attribute__((aligned(alignment)))}. */
        Field(String kernelName, Type type, Unit unit, int sinceVersion, int alignment) {
            this(kernelName, type, unit, sinceVersion, null, alignment);
        }

        /** A version-15 field that version 15 placed right after {@code version15After}. */
        Field(String kernelName, Type type, Unit unit, int sinceVersion, Field version15After) {
            this(kernelName, type, unit, sinceVersion, version15After, type.size);
        }

        Field(String kernelName, Type type, Unit unit, int sinceVersion, Field version15After, int alignment) {
            this.kernelName = kernelName;
            this.type = type;
            this.unit = unit;
            this.sinceVersion = sinceVersion;
            this.version15After = version15After;
            this.alignment = type == Type.COMM ? 1 : alignment;
        }

        /** The member's name in include/uapi/linux/taskstats.h. */
        public String kernelName() {
            return kernelName;
        }

        public Type type() {
            return type;
        }

        public Unit unit() {
            return unit;
        }

        /**
         * The kernel name with its unit, for JSON: {@code cpu_delay_total_ns}, {@code ac_utime_us},
         * {@code hiwater_rss_kib}, {@code coremem_mb_us}, {@code read_char_bytes}, {@code ac_btime_s};
         * counts, identifiers and names that already say their unit ({@code read_bytes}) keep the
         * kernel name.
         */
        public String jsonName() {
            return kernelName.endsWith(unit.suffix) ? kernelName : kernelName + unit.suffix;
        }

        /** The struct version that added the field. */
        public int sinceVersion() {
            return sinceVersion;
        }

        int size() {
            return type.size;
        }

        int alignment() {
            return alignment;
        }

        /** The field version 15 placed this one after, or null where version 15 kept the common order. */
        Field version15After() {
            return version15After;
        }
    }

    private static final Field[] FIELDS = Field.values();

    private final int version;
    private final int structLength;
    private final String comm;
    private final long[] values;

    /** {@code values} is indexed by {@link Field#ordinal()}; absent fields hold 0. Takes ownership. */
    TaskStats(int version, int structLength, String comm, long[] values) {
        if (values.length != FIELDS.length) {
            throw new IllegalArgumentException(values.length + " values for " + FIELDS.length + " fields");
        }
        this.version = version;
        this.structLength = structLength;
        this.comm = Objects.requireNonNull(comm, "comm");
        this.values = values;
    }

    /**
     * Decodes a {@code struct taskstats} from the bytes of a TASKSTATS_TYPE_STATS attribute,
     * checking its version and length first. Throws {@link NetlinkFormatException} when they do
     * not agree. Reads {@code value} only during the call.
     */
    public static TaskStats decode(MemorySegment value) {
        return TaskstatsStruct.decode(value);
    }

    /** The struct's {@code version} field (the sending kernel's TASKSTATS_VERSION). */
    public int version() {
        return version;
    }

    /** Bytes of struct the kernel sent. */
    public int structLength() {
        return structLength;
    }

    /** Whether this record's version and length hold {@code field}. */
    public boolean has(Field field) {
        return TaskstatsStruct.present(version, structLength, field);
    }

    /**
     * The value of a numeric field in its {@link Field#unit()}, or empty when the record does not
     * hold it. {@link Field#AC_COMM} is text: {@link #comm()}.
     */
    public OptionalLong get(Field field) {
        checkNumeric(field);
        return has(field) ? OptionalLong.of(values[field.ordinal()]) : OptionalLong.empty();
    }

    /**
     * The value of a numeric field in its {@link Field#unit()}.
     *
     * @throws NoSuchElementException when the record does not hold it, naming the version and
     *     length it needs
     */
    public long value(Field field) {
        checkNumeric(field);
        require(field);
        return values[field.ordinal()];
    }

    /** The command name ({@code ac_comm}, at most 31 bytes of UTF-8). */
    public String comm() {
        require(Field.AC_COMM);
        return comm;
    }

    private static void checkNumeric(Field field) {
        if (field.type() == Field.Type.COMM) {
            throw new IllegalArgumentException("ac_comm is text: use comm()");
        }
    }

    private void require(Field field) {
        if (!has(field)) {
            throw new NoSuchElementException("taskstats field " + field.kernelName() + " is absent: it needs version "
                    + field.sinceVersion() + " and " + (TaskstatsStruct.offset(version, field) + field.size())
                    + " bytes; this record is version " + version + ", " + structLength + " bytes");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskStats t && t.version == version && t.structLength == structLength
                && t.comm.equals(comm) && Arrays.equals(t.values, values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, structLength, comm, Arrays.hashCode(values));
    }

    /** Every field the record holds, by JSON name. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "TaskStats[", "]");
        j.add("version=" + version).add("struct_length=" + structLength);
        for (Field f : FIELDS) {
            if (has(f)) {
                j.add(f.jsonName() + "=" + (f == Field.AC_COMM ? comm : Long.toString(values[f.ordinal()])));
            }
        }
        return j.toString();
    }
}
