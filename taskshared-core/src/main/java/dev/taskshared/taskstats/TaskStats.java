package dev.taskshared.taskstats;

import java.lang.foreign.MemorySegment;
import java.util.NoSuchElementException;
import java.util.OptionalLong;

/**
 * The kernel's {@code struct taskstats} for one task or thread group, decoded by its version:
 * accounting, delay accounting, memory and I/O counters. Immutable and thread-safe.
 *
 * <p>Units are in the names ({@code Nanos}, {@code Micros}, {@code Seconds}, {@code Kib},
 * {@code Bytes}); plain names are counts or ids. Unsigned kernel values are Java longs.
 *
 * <p>A field that the record's {@link #version()} or {@link #structLength()} does not hold is
 * <em>absent</em>: {@link #has} says false, {@link #get} is empty and its accessor throws
 * {@link NoSuchElementException} naming the version it needs, rather than returning a wrong 0.
 * Delay fields other than {@code cpu_*} read zero while delay accounting is off
 * ({@link DelayAccounting}); {@code cpu_count}, {@code cpu_delay_total} and the {@code cpu_run_*}
 * totals come from the scheduler and are always filled.
 *
 * @param version the struct's {@code version} field (the sending kernel's TASKSTATS_VERSION)
 * @param structLength bytes of struct the kernel sent
 */
public record TaskStats(
        int version,
        int structLength,
        long acExitcode,
        long acFlag,
        long acNice,
        long cpuCount,
        long cpuDelayTotalNanos,
        long blkioCount,
        long blkioDelayTotalNanos,
        long swapinCount,
        long swapinDelayTotalNanos,
        long cpuRunRealTotalNanos,
        long cpuRunVirtualTotalNanos,
        String comm,
        long acSched,
        long acUid,
        long acGid,
        long acPid,
        long acPpid,
        long acBtimeSeconds,
        long acEtimeMicros,
        long acUtimeMicros,
        long acStimeMicros,
        long acMinflt,
        long acMajflt,
        long corememMbMicros,
        long virtmemMbMicros,
        long hiwaterRssKib,
        long hiwaterVmKib,
        long readCharBytes,
        long writeCharBytes,
        long readSyscalls,
        long writeSyscalls,
        long readBytes,
        long writeBytes,
        long cancelledWriteBytes,
        long nvcsw,
        long nivcsw,
        long acUtimescaledMicros,
        long acStimescaledMicros,
        long cpuScaledRunRealTotalNanos,
        long freepagesCount,
        long freepagesDelayTotalNanos,
        long thrashingCount,
        long thrashingDelayTotalNanos,
        long acBtime64Seconds,
        long compactCount,
        long compactDelayTotalNanos,
        long acTgid,
        long acTgetimeMicros,
        long acExeDev,
        long acExeInode,
        long wpcopyCount,
        long wpcopyDelayTotalNanos,
        long irqCount,
        long irqDelayTotalNanos,
        long cpuDelayMaxNanos,
        long cpuDelayMinNanos,
        long blkioDelayMaxNanos,
        long blkioDelayMinNanos,
        long swapinDelayMaxNanos,
        long swapinDelayMinNanos,
        long freepagesDelayMaxNanos,
        long freepagesDelayMinNanos,
        long thrashingDelayMaxNanos,
        long thrashingDelayMinNanos,
        long compactDelayMaxNanos,
        long compactDelayMinNanos,
        long wpcopyDelayMaxNanos,
        long wpcopyDelayMinNanos,
        long irqDelayMaxNanos,
        long irqDelayMinNanos) {

    /** Every field of the struct, in kernel order, with its kernel name and the version that added it. */
    public enum Field {
        /** Exit status, as wait(2) reports it. */
        AC_EXITCODE("ac_exitcode", Type.U32, 2),
        /** Accounting flags of linux/acct.h (AFORK, ASU, ACOMPAT, ACORE, AXSIG, AGROUP). */
        AC_FLAG("ac_flag", Type.U8, 2),
        /** Nice value, -20..19. */
        AC_NICE("ac_nice", Type.S8, 2),
        /** Times scheduled in (delay accounting). */
        CPU_COUNT("cpu_count", Type.U64, 1),
        /** Ns runnable but waiting for a CPU. */
        CPU_DELAY_TOTAL("cpu_delay_total", Type.U64, 1),
        /** Synchronous block I/O waits. */
        BLKIO_COUNT("blkio_count", Type.U64, 1),
        /** Ns waiting for synchronous block I/O. */
        BLKIO_DELAY_TOTAL("blkio_delay_total", Type.U64, 1),
        /** Swap-in waits. */
        SWAPIN_COUNT("swapin_count", Type.U64, 1),
        /** Ns waiting for swap-in. */
        SWAPIN_DELAY_TOTAL("swapin_delay_total", Type.U64, 1),
        /** Ns of CPU time, utime + stime (tick-based). */
        CPU_RUN_REAL_TOTAL("cpu_run_real_total", Type.U64, 1),
        /** Ns on CPU as the scheduler counts it (sum_exec_runtime). */
        CPU_RUN_VIRTUAL_TOTAL("cpu_run_virtual_total", Type.U64, 1),
        /** Command name (TASK_COMM_LEN). */
        AC_COMM("ac_comm", Type.COMM, 2),
        /** Scheduling policy. */
        AC_SCHED("ac_sched", Type.U8, 2),
        /** User id. */
        AC_UID("ac_uid", Type.U32, 2),
        /** Group id. */
        AC_GID("ac_gid", Type.U32, 2),
        /** Thread id (the task's pid). */
        AC_PID("ac_pid", Type.U32, 2),
        /** Parent process id. */
        AC_PPID("ac_ppid", Type.U32, 2),
        /** Start time, seconds since 1970 (32-bit). */
        AC_BTIME("ac_btime", Type.U32, 2),
        /** Elapsed wall time since start, µs. */
        AC_ETIME("ac_etime", Type.U64, 2),
        /** User CPU time, µs. */
        AC_UTIME("ac_utime", Type.U64, 2),
        /** System CPU time, µs. */
        AC_STIME("ac_stime", Type.U64, 2),
        /** Minor page faults. */
        AC_MINFLT("ac_minflt", Type.U64, 2),
        /** Major page faults. */
        AC_MAJFLT("ac_majflt", Type.U64, 2),
        /** Accumulated RSS, MB-µs. */
        COREMEM("coremem", Type.U64, 2),
        /** Accumulated virtual memory, MB-µs. */
        VIRTMEM("virtmem", Type.U64, 2),
        /** Peak RSS, KiB. */
        HIWATER_RSS("hiwater_rss", Type.U64, 2),
        /** Peak virtual memory, KiB. */
        HIWATER_VM("hiwater_vm", Type.U64, 2),
        /** Bytes read by read-like syscalls. */
        READ_CHAR("read_char", Type.U64, 2),
        /** Bytes written by write-like syscalls. */
        WRITE_CHAR("write_char", Type.U64, 2),
        /** Read-like syscalls. */
        READ_SYSCALLS("read_syscalls", Type.U64, 2),
        /** Write-like syscalls. */
        WRITE_SYSCALLS("write_syscalls", Type.U64, 2),
        /** Bytes of storage read I/O. */
        READ_BYTES("read_bytes", Type.U64, 2),
        /** Bytes of storage write I/O. */
        WRITE_BYTES("write_bytes", Type.U64, 2),
        /** Bytes of cancelled write I/O. */
        CANCELLED_WRITE_BYTES("cancelled_write_bytes", Type.U64, 2),
        /** Voluntary context switches. */
        NVCSW("nvcsw", Type.U64, 2),
        /** Involuntary context switches. */
        NIVCSW("nivcsw", Type.U64, 2),
        /** User time scaled by CPU frequency, µs. */
        AC_UTIMESCALED("ac_utimescaled", Type.U64, 2),
        /** System time scaled by CPU frequency, µs. */
        AC_STIMESCALED("ac_stimescaled", Type.U64, 2),
        /** Scaled cpu_run_real_total, ns. */
        CPU_SCALED_RUN_REAL_TOTAL("cpu_scaled_run_real_total", Type.U64, 2),
        /** Memory reclaim waits. */
        FREEPAGES_COUNT("freepages_count", Type.U64, 2),
        /** Ns waiting for memory reclaim. */
        FREEPAGES_DELAY_TOTAL("freepages_delay_total", Type.U64, 2),
        /** Thrashing waits. */
        THRASHING_COUNT("thrashing_count", Type.U64, 9),
        /** Ns waiting on thrashing pages. */
        THRASHING_DELAY_TOTAL("thrashing_delay_total", Type.U64, 9),
        /** Start time, seconds since 1970 (64-bit). */
        AC_BTIME64("ac_btime64", Type.U64, 10),
        /** Memory compaction waits. */
        COMPACT_COUNT("compact_count", Type.U64, 11),
        /** Ns waiting for memory compaction. */
        COMPACT_DELAY_TOTAL("compact_delay_total", Type.U64, 11),
        /** Thread group (process) id. */
        AC_TGID("ac_tgid", Type.U32, 12),
        /** Thread group wall time up to now, µs. */
        AC_TGETIME("ac_tgetime", Type.U64, 12),
        /** Device of the executable. */
        AC_EXE_DEV("ac_exe_dev", Type.U64, 12),
        /** Inode of the executable. */
        AC_EXE_INODE("ac_exe_inode", Type.U64, 12),
        /** Write-protect copy (CoW) waits. */
        WPCOPY_COUNT("wpcopy_count", Type.U64, 13),
        /** Ns waiting for write-protect copies. */
        WPCOPY_DELAY_TOTAL("wpcopy_delay_total", Type.U64, 13),
        /** IRQ / softirq delays. */
        IRQ_COUNT("irq_count", Type.U64, 14),
        /** Ns lost to IRQ / softirq handling. */
        IRQ_DELAY_TOTAL("irq_delay_total", Type.U64, 14),
        /** Longest single cpu delay, ns. */
        CPU_DELAY_MAX("cpu_delay_max", Type.U64, 15),
        /** Shortest single cpu delay, ns. */
        CPU_DELAY_MIN("cpu_delay_min", Type.U64, 15),
        /** Longest single blkio delay, ns. */
        BLKIO_DELAY_MAX("blkio_delay_max", Type.U64, 15),
        /** Shortest single blkio delay, ns. */
        BLKIO_DELAY_MIN("blkio_delay_min", Type.U64, 15),
        /** Longest single swapin delay, ns. */
        SWAPIN_DELAY_MAX("swapin_delay_max", Type.U64, 15),
        /** Shortest single swapin delay, ns. */
        SWAPIN_DELAY_MIN("swapin_delay_min", Type.U64, 15),
        /** Longest single freepages delay, ns. */
        FREEPAGES_DELAY_MAX("freepages_delay_max", Type.U64, 15),
        /** Shortest single freepages delay, ns. */
        FREEPAGES_DELAY_MIN("freepages_delay_min", Type.U64, 15),
        /** Longest single thrashing delay, ns. */
        THRASHING_DELAY_MAX("thrashing_delay_max", Type.U64, 15),
        /** Shortest single thrashing delay, ns. */
        THRASHING_DELAY_MIN("thrashing_delay_min", Type.U64, 15),
        /** Longest single compact delay, ns. */
        COMPACT_DELAY_MAX("compact_delay_max", Type.U64, 15),
        /** Shortest single compact delay, ns. */
        COMPACT_DELAY_MIN("compact_delay_min", Type.U64, 15),
        /** Longest single wpcopy delay, ns. */
        WPCOPY_DELAY_MAX("wpcopy_delay_max", Type.U64, 15),
        /** Shortest single wpcopy delay, ns. */
        WPCOPY_DELAY_MIN("wpcopy_delay_min", Type.U64, 15),
        /** Longest single irq delay, ns. */
        IRQ_DELAY_MAX("irq_delay_max", Type.U64, 15),
        /** Shortest single irq delay, ns. */
        IRQ_DELAY_MIN("irq_delay_min", Type.U64, 15);

        /** How a field is stored in the struct. */
        public enum Type {
            U8(1), S8(1), U32(4), U64(8), COMM(TaskstatsStruct.TS_COMM_LEN);

            final int size;

            Type(int size) {
                this.size = size;
            }
        }

        private final String kernelName;
        private final Type type;
        private final int sinceVersion;

        Field(String kernelName, Type type, int sinceVersion) {
            this.kernelName = kernelName;
            this.type = type;
            this.sinceVersion = sinceVersion;
        }

        /** The member name in linux/taskstats.h, snake_case, e.g. {@code cpu_delay_total}. */
        public String kernelName() {
            return kernelName;
        }

        public Type type() {
            return type;
        }

        /**
         * The kernel name with its unit, for JSON: {@code cpu_delay_total_ns}, {@code ac_utime_us},
         * {@code hiwater_rss_kib}, {@code coremem_mb_us}, {@code read_char_bytes}, {@code ac_btime_s};
         * counts and identifiers keep the kernel name.
         */
        public String jsonName() {
            String n = kernelName;
            if (n.contains("_delay_") || n.endsWith("run_real_total") || n.endsWith("run_virtual_total")) {
                return n + "_ns";
            }
            return switch (n) {
                case "ac_utime", "ac_stime", "ac_utimescaled", "ac_stimescaled", "ac_etime", "ac_tgetime" -> n + "_us";
                case "hiwater_rss", "hiwater_vm" -> n + "_kib";
                case "coremem", "virtmem" -> n + "_mb_us";
                case "read_char", "write_char" -> n + "_bytes";
                case "ac_btime", "ac_btime64" -> n + "_s";
                default -> n;
            };
        }

        /** The first struct version that has this field. */
        public int sinceVersion() {
            return sinceVersion;
        }

        int size() {
            return type.size;
        }
    }

    static TaskStats of(int version, int structLength, String comm, long[] v) {
        return new TaskStats(version, structLength,
                v[Field.AC_EXITCODE.ordinal()],
                v[Field.AC_FLAG.ordinal()],
                v[Field.AC_NICE.ordinal()],
                v[Field.CPU_COUNT.ordinal()],
                v[Field.CPU_DELAY_TOTAL.ordinal()],
                v[Field.BLKIO_COUNT.ordinal()],
                v[Field.BLKIO_DELAY_TOTAL.ordinal()],
                v[Field.SWAPIN_COUNT.ordinal()],
                v[Field.SWAPIN_DELAY_TOTAL.ordinal()],
                v[Field.CPU_RUN_REAL_TOTAL.ordinal()],
                v[Field.CPU_RUN_VIRTUAL_TOTAL.ordinal()],
                comm,
                v[Field.AC_SCHED.ordinal()],
                v[Field.AC_UID.ordinal()],
                v[Field.AC_GID.ordinal()],
                v[Field.AC_PID.ordinal()],
                v[Field.AC_PPID.ordinal()],
                v[Field.AC_BTIME.ordinal()],
                v[Field.AC_ETIME.ordinal()],
                v[Field.AC_UTIME.ordinal()],
                v[Field.AC_STIME.ordinal()],
                v[Field.AC_MINFLT.ordinal()],
                v[Field.AC_MAJFLT.ordinal()],
                v[Field.COREMEM.ordinal()],
                v[Field.VIRTMEM.ordinal()],
                v[Field.HIWATER_RSS.ordinal()],
                v[Field.HIWATER_VM.ordinal()],
                v[Field.READ_CHAR.ordinal()],
                v[Field.WRITE_CHAR.ordinal()],
                v[Field.READ_SYSCALLS.ordinal()],
                v[Field.WRITE_SYSCALLS.ordinal()],
                v[Field.READ_BYTES.ordinal()],
                v[Field.WRITE_BYTES.ordinal()],
                v[Field.CANCELLED_WRITE_BYTES.ordinal()],
                v[Field.NVCSW.ordinal()],
                v[Field.NIVCSW.ordinal()],
                v[Field.AC_UTIMESCALED.ordinal()],
                v[Field.AC_STIMESCALED.ordinal()],
                v[Field.CPU_SCALED_RUN_REAL_TOTAL.ordinal()],
                v[Field.FREEPAGES_COUNT.ordinal()],
                v[Field.FREEPAGES_DELAY_TOTAL.ordinal()],
                v[Field.THRASHING_COUNT.ordinal()],
                v[Field.THRASHING_DELAY_TOTAL.ordinal()],
                v[Field.AC_BTIME64.ordinal()],
                v[Field.COMPACT_COUNT.ordinal()],
                v[Field.COMPACT_DELAY_TOTAL.ordinal()],
                v[Field.AC_TGID.ordinal()],
                v[Field.AC_TGETIME.ordinal()],
                v[Field.AC_EXE_DEV.ordinal()],
                v[Field.AC_EXE_INODE.ordinal()],
                v[Field.WPCOPY_COUNT.ordinal()],
                v[Field.WPCOPY_DELAY_TOTAL.ordinal()],
                v[Field.IRQ_COUNT.ordinal()],
                v[Field.IRQ_DELAY_TOTAL.ordinal()],
                v[Field.CPU_DELAY_MAX.ordinal()],
                v[Field.CPU_DELAY_MIN.ordinal()],
                v[Field.BLKIO_DELAY_MAX.ordinal()],
                v[Field.BLKIO_DELAY_MIN.ordinal()],
                v[Field.SWAPIN_DELAY_MAX.ordinal()],
                v[Field.SWAPIN_DELAY_MIN.ordinal()],
                v[Field.FREEPAGES_DELAY_MAX.ordinal()],
                v[Field.FREEPAGES_DELAY_MIN.ordinal()],
                v[Field.THRASHING_DELAY_MAX.ordinal()],
                v[Field.THRASHING_DELAY_MIN.ordinal()],
                v[Field.COMPACT_DELAY_MAX.ordinal()],
                v[Field.COMPACT_DELAY_MIN.ordinal()],
                v[Field.WPCOPY_DELAY_MAX.ordinal()],
                v[Field.WPCOPY_DELAY_MIN.ordinal()],
                v[Field.IRQ_DELAY_MAX.ordinal()],
                v[Field.IRQ_DELAY_MIN.ordinal()]);
    }

    /**
     * Decodes a {@code struct taskstats} from the bytes of a TASKSTATS_TYPE_STATS attribute,
     * checking its version and length first. Throws {@link NetlinkFormatException} when they do
     * not agree. Reads {@code value} only during the call.
     */
    public static TaskStats decode(MemorySegment value) {
        return TaskstatsStruct.decode(value);
    }

    /** Whether this record holds {@code field}. */
    public boolean has(Field field) {
        return TaskstatsStruct.present(version, structLength, field);
    }

    /** The value of a numeric {@code field}, empty when absent. For {@link Field#AC_COMM} use {@link #comm()}. */
    public OptionalLong get(Field field) {
        if (field.type() == Field.Type.COMM) {
            throw new IllegalArgumentException("ac_comm is text: use comm()");
        }
        return has(field) ? OptionalLong.of(raw(field)) : OptionalLong.empty();
    }

    private void require(Field field) {
        if (!has(field)) {
            throw new NoSuchElementException("taskstats field " + field.kernelName() + " is absent: it needs version "
                    + field.sinceVersion() + " and " + (TaskstatsStruct.offset(version, field) + field.size())
                    + " bytes; this record is version " + version + ", " + structLength + " bytes");
        }
    }

    private long raw(Field field) {
        return switch (field) {
            case AC_EXITCODE -> acExitcode;
            case AC_FLAG -> acFlag;
            case AC_NICE -> acNice;
            case CPU_COUNT -> cpuCount;
            case CPU_DELAY_TOTAL -> cpuDelayTotalNanos;
            case BLKIO_COUNT -> blkioCount;
            case BLKIO_DELAY_TOTAL -> blkioDelayTotalNanos;
            case SWAPIN_COUNT -> swapinCount;
            case SWAPIN_DELAY_TOTAL -> swapinDelayTotalNanos;
            case CPU_RUN_REAL_TOTAL -> cpuRunRealTotalNanos;
            case CPU_RUN_VIRTUAL_TOTAL -> cpuRunVirtualTotalNanos;
            case AC_SCHED -> acSched;
            case AC_UID -> acUid;
            case AC_GID -> acGid;
            case AC_PID -> acPid;
            case AC_PPID -> acPpid;
            case AC_BTIME -> acBtimeSeconds;
            case AC_ETIME -> acEtimeMicros;
            case AC_UTIME -> acUtimeMicros;
            case AC_STIME -> acStimeMicros;
            case AC_MINFLT -> acMinflt;
            case AC_MAJFLT -> acMajflt;
            case COREMEM -> corememMbMicros;
            case VIRTMEM -> virtmemMbMicros;
            case HIWATER_RSS -> hiwaterRssKib;
            case HIWATER_VM -> hiwaterVmKib;
            case READ_CHAR -> readCharBytes;
            case WRITE_CHAR -> writeCharBytes;
            case READ_SYSCALLS -> readSyscalls;
            case WRITE_SYSCALLS -> writeSyscalls;
            case READ_BYTES -> readBytes;
            case WRITE_BYTES -> writeBytes;
            case CANCELLED_WRITE_BYTES -> cancelledWriteBytes;
            case NVCSW -> nvcsw;
            case NIVCSW -> nivcsw;
            case AC_UTIMESCALED -> acUtimescaledMicros;
            case AC_STIMESCALED -> acStimescaledMicros;
            case CPU_SCALED_RUN_REAL_TOTAL -> cpuScaledRunRealTotalNanos;
            case FREEPAGES_COUNT -> freepagesCount;
            case FREEPAGES_DELAY_TOTAL -> freepagesDelayTotalNanos;
            case THRASHING_COUNT -> thrashingCount;
            case THRASHING_DELAY_TOTAL -> thrashingDelayTotalNanos;
            case AC_BTIME64 -> acBtime64Seconds;
            case COMPACT_COUNT -> compactCount;
            case COMPACT_DELAY_TOTAL -> compactDelayTotalNanos;
            case AC_TGID -> acTgid;
            case AC_TGETIME -> acTgetimeMicros;
            case AC_EXE_DEV -> acExeDev;
            case AC_EXE_INODE -> acExeInode;
            case WPCOPY_COUNT -> wpcopyCount;
            case WPCOPY_DELAY_TOTAL -> wpcopyDelayTotalNanos;
            case IRQ_COUNT -> irqCount;
            case IRQ_DELAY_TOTAL -> irqDelayTotalNanos;
            case CPU_DELAY_MAX -> cpuDelayMaxNanos;
            case CPU_DELAY_MIN -> cpuDelayMinNanos;
            case BLKIO_DELAY_MAX -> blkioDelayMaxNanos;
            case BLKIO_DELAY_MIN -> blkioDelayMinNanos;
            case SWAPIN_DELAY_MAX -> swapinDelayMaxNanos;
            case SWAPIN_DELAY_MIN -> swapinDelayMinNanos;
            case FREEPAGES_DELAY_MAX -> freepagesDelayMaxNanos;
            case FREEPAGES_DELAY_MIN -> freepagesDelayMinNanos;
            case THRASHING_DELAY_MAX -> thrashingDelayMaxNanos;
            case THRASHING_DELAY_MIN -> thrashingDelayMinNanos;
            case COMPACT_DELAY_MAX -> compactDelayMaxNanos;
            case COMPACT_DELAY_MIN -> compactDelayMinNanos;
            case WPCOPY_DELAY_MAX -> wpcopyDelayMaxNanos;
            case WPCOPY_DELAY_MIN -> wpcopyDelayMinNanos;
            case IRQ_DELAY_MAX -> irqDelayMaxNanos;
            case IRQ_DELAY_MIN -> irqDelayMinNanos;
            case AC_COMM -> throw new IllegalArgumentException("ac_comm is text");
        };
    }

    /** Exit status, as wait(2) reports it (every version). @throws NoSuchElementException when absent */
    @Override
    public long acExitcode() {
        require(Field.AC_EXITCODE);
        return acExitcode;
    }

    /** Accounting flags of linux/acct.h (AFORK, ASU, ACOMPAT, ACORE, AXSIG, AGROUP) (every version). @throws NoSuchElementException when absent */
    @Override
    public long acFlag() {
        require(Field.AC_FLAG);
        return acFlag;
    }

    /** Nice value, -20..19 (every version). @throws NoSuchElementException when absent */
    @Override
    public long acNice() {
        require(Field.AC_NICE);
        return acNice;
    }

    /** Times scheduled in (delay accounting) (every version). @throws NoSuchElementException when absent */
    @Override
    public long cpuCount() {
        require(Field.CPU_COUNT);
        return cpuCount;
    }

    /** Ns runnable but waiting for a CPU (every version). @throws NoSuchElementException when absent */
    @Override
    public long cpuDelayTotalNanos() {
        require(Field.CPU_DELAY_TOTAL);
        return cpuDelayTotalNanos;
    }

    /** Synchronous block I/O waits (every version). @throws NoSuchElementException when absent */
    @Override
    public long blkioCount() {
        require(Field.BLKIO_COUNT);
        return blkioCount;
    }

    /** Ns waiting for synchronous block I/O (every version). @throws NoSuchElementException when absent */
    @Override
    public long blkioDelayTotalNanos() {
        require(Field.BLKIO_DELAY_TOTAL);
        return blkioDelayTotalNanos;
    }

    /** Swap-in waits (every version). @throws NoSuchElementException when absent */
    @Override
    public long swapinCount() {
        require(Field.SWAPIN_COUNT);
        return swapinCount;
    }

    /** Ns waiting for swap-in (every version). @throws NoSuchElementException when absent */
    @Override
    public long swapinDelayTotalNanos() {
        require(Field.SWAPIN_DELAY_TOTAL);
        return swapinDelayTotalNanos;
    }

    /** Ns of CPU time, utime + stime (tick-based) (every version). @throws NoSuchElementException when absent */
    @Override
    public long cpuRunRealTotalNanos() {
        require(Field.CPU_RUN_REAL_TOTAL);
        return cpuRunRealTotalNanos;
    }

    /** Ns on CPU as the scheduler counts it (sum_exec_runtime) (every version). @throws NoSuchElementException when absent */
    @Override
    public long cpuRunVirtualTotalNanos() {
        require(Field.CPU_RUN_VIRTUAL_TOTAL);
        return cpuRunVirtualTotalNanos;
    }

    /** Command name (TASK_COMM_LEN) (every version). @throws NoSuchElementException when absent */
    @Override
    public String comm() {
        require(Field.AC_COMM);
        return comm;
    }

    /** Scheduling policy (every version). @throws NoSuchElementException when absent */
    @Override
    public long acSched() {
        require(Field.AC_SCHED);
        return acSched;
    }

    /** User id (every version). @throws NoSuchElementException when absent */
    @Override
    public long acUid() {
        require(Field.AC_UID);
        return acUid;
    }

    /** Group id (every version). @throws NoSuchElementException when absent */
    @Override
    public long acGid() {
        require(Field.AC_GID);
        return acGid;
    }

    /** Thread id (the task's pid) (every version). @throws NoSuchElementException when absent */
    @Override
    public long acPid() {
        require(Field.AC_PID);
        return acPid;
    }

    /** Parent process id (every version). @throws NoSuchElementException when absent */
    @Override
    public long acPpid() {
        require(Field.AC_PPID);
        return acPpid;
    }

    /** Start time, seconds since 1970 (32-bit) (every version). @throws NoSuchElementException when absent */
    @Override
    public long acBtimeSeconds() {
        require(Field.AC_BTIME);
        return acBtimeSeconds;
    }

    /** Elapsed wall time since start, µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long acEtimeMicros() {
        require(Field.AC_ETIME);
        return acEtimeMicros;
    }

    /** User CPU time, µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long acUtimeMicros() {
        require(Field.AC_UTIME);
        return acUtimeMicros;
    }

    /** System CPU time, µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long acStimeMicros() {
        require(Field.AC_STIME);
        return acStimeMicros;
    }

    /** Minor page faults (every version). @throws NoSuchElementException when absent */
    @Override
    public long acMinflt() {
        require(Field.AC_MINFLT);
        return acMinflt;
    }

    /** Major page faults (every version). @throws NoSuchElementException when absent */
    @Override
    public long acMajflt() {
        require(Field.AC_MAJFLT);
        return acMajflt;
    }

    /** Accumulated RSS, MB-µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long corememMbMicros() {
        require(Field.COREMEM);
        return corememMbMicros;
    }

    /** Accumulated virtual memory, MB-µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long virtmemMbMicros() {
        require(Field.VIRTMEM);
        return virtmemMbMicros;
    }

    /** Peak RSS, KiB (every version). @throws NoSuchElementException when absent */
    @Override
    public long hiwaterRssKib() {
        require(Field.HIWATER_RSS);
        return hiwaterRssKib;
    }

    /** Peak virtual memory, KiB (every version). @throws NoSuchElementException when absent */
    @Override
    public long hiwaterVmKib() {
        require(Field.HIWATER_VM);
        return hiwaterVmKib;
    }

    /** Bytes read by read-like syscalls (every version). @throws NoSuchElementException when absent */
    @Override
    public long readCharBytes() {
        require(Field.READ_CHAR);
        return readCharBytes;
    }

    /** Bytes written by write-like syscalls (every version). @throws NoSuchElementException when absent */
    @Override
    public long writeCharBytes() {
        require(Field.WRITE_CHAR);
        return writeCharBytes;
    }

    /** Read-like syscalls (every version). @throws NoSuchElementException when absent */
    @Override
    public long readSyscalls() {
        require(Field.READ_SYSCALLS);
        return readSyscalls;
    }

    /** Write-like syscalls (every version). @throws NoSuchElementException when absent */
    @Override
    public long writeSyscalls() {
        require(Field.WRITE_SYSCALLS);
        return writeSyscalls;
    }

    /** Bytes of storage read I/O (every version). @throws NoSuchElementException when absent */
    @Override
    public long readBytes() {
        require(Field.READ_BYTES);
        return readBytes;
    }

    /** Bytes of storage write I/O (every version). @throws NoSuchElementException when absent */
    @Override
    public long writeBytes() {
        require(Field.WRITE_BYTES);
        return writeBytes;
    }

    /** Bytes of cancelled write I/O (every version). @throws NoSuchElementException when absent */
    @Override
    public long cancelledWriteBytes() {
        require(Field.CANCELLED_WRITE_BYTES);
        return cancelledWriteBytes;
    }

    /** Voluntary context switches (every version). @throws NoSuchElementException when absent */
    @Override
    public long nvcsw() {
        require(Field.NVCSW);
        return nvcsw;
    }

    /** Involuntary context switches (every version). @throws NoSuchElementException when absent */
    @Override
    public long nivcsw() {
        require(Field.NIVCSW);
        return nivcsw;
    }

    /** User time scaled by CPU frequency, µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long acUtimescaledMicros() {
        require(Field.AC_UTIMESCALED);
        return acUtimescaledMicros;
    }

    /** System time scaled by CPU frequency, µs (every version). @throws NoSuchElementException when absent */
    @Override
    public long acStimescaledMicros() {
        require(Field.AC_STIMESCALED);
        return acStimescaledMicros;
    }

    /** Scaled cpu_run_real_total, ns (every version). @throws NoSuchElementException when absent */
    @Override
    public long cpuScaledRunRealTotalNanos() {
        require(Field.CPU_SCALED_RUN_REAL_TOTAL);
        return cpuScaledRunRealTotalNanos;
    }

    /** Memory reclaim waits (every version). @throws NoSuchElementException when absent */
    @Override
    public long freepagesCount() {
        require(Field.FREEPAGES_COUNT);
        return freepagesCount;
    }

    /** Ns waiting for memory reclaim (every version). @throws NoSuchElementException when absent */
    @Override
    public long freepagesDelayTotalNanos() {
        require(Field.FREEPAGES_DELAY_TOTAL);
        return freepagesDelayTotalNanos;
    }

    /** Thrashing waits (version 9 on). @throws NoSuchElementException when absent */
    @Override
    public long thrashingCount() {
        require(Field.THRASHING_COUNT);
        return thrashingCount;
    }

    /** Ns waiting on thrashing pages (version 9 on). @throws NoSuchElementException when absent */
    @Override
    public long thrashingDelayTotalNanos() {
        require(Field.THRASHING_DELAY_TOTAL);
        return thrashingDelayTotalNanos;
    }

    /** Start time, seconds since 1970 (64-bit) (version 10 on). @throws NoSuchElementException when absent */
    @Override
    public long acBtime64Seconds() {
        require(Field.AC_BTIME64);
        return acBtime64Seconds;
    }

    /** Memory compaction waits (version 11 on). @throws NoSuchElementException when absent */
    @Override
    public long compactCount() {
        require(Field.COMPACT_COUNT);
        return compactCount;
    }

    /** Ns waiting for memory compaction (version 11 on). @throws NoSuchElementException when absent */
    @Override
    public long compactDelayTotalNanos() {
        require(Field.COMPACT_DELAY_TOTAL);
        return compactDelayTotalNanos;
    }

    /** Thread group (process) id (version 12 on). @throws NoSuchElementException when absent */
    @Override
    public long acTgid() {
        require(Field.AC_TGID);
        return acTgid;
    }

    /** Thread group wall time up to now, µs (version 12 on). @throws NoSuchElementException when absent */
    @Override
    public long acTgetimeMicros() {
        require(Field.AC_TGETIME);
        return acTgetimeMicros;
    }

    /** Device of the executable (version 12 on). @throws NoSuchElementException when absent */
    @Override
    public long acExeDev() {
        require(Field.AC_EXE_DEV);
        return acExeDev;
    }

    /** Inode of the executable (version 12 on). @throws NoSuchElementException when absent */
    @Override
    public long acExeInode() {
        require(Field.AC_EXE_INODE);
        return acExeInode;
    }

    /** Write-protect copy (CoW) waits (version 13 on). @throws NoSuchElementException when absent */
    @Override
    public long wpcopyCount() {
        require(Field.WPCOPY_COUNT);
        return wpcopyCount;
    }

    /** Ns waiting for write-protect copies (version 13 on). @throws NoSuchElementException when absent */
    @Override
    public long wpcopyDelayTotalNanos() {
        require(Field.WPCOPY_DELAY_TOTAL);
        return wpcopyDelayTotalNanos;
    }

    /** IRQ / softirq delays (version 14 on). @throws NoSuchElementException when absent */
    @Override
    public long irqCount() {
        require(Field.IRQ_COUNT);
        return irqCount;
    }

    /** Ns lost to IRQ / softirq handling (version 14 on). @throws NoSuchElementException when absent */
    @Override
    public long irqDelayTotalNanos() {
        require(Field.IRQ_DELAY_TOTAL);
        return irqDelayTotalNanos;
    }

    /** Longest single cpu delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long cpuDelayMaxNanos() {
        require(Field.CPU_DELAY_MAX);
        return cpuDelayMaxNanos;
    }

    /** Shortest single cpu delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long cpuDelayMinNanos() {
        require(Field.CPU_DELAY_MIN);
        return cpuDelayMinNanos;
    }

    /** Longest single blkio delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long blkioDelayMaxNanos() {
        require(Field.BLKIO_DELAY_MAX);
        return blkioDelayMaxNanos;
    }

    /** Shortest single blkio delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long blkioDelayMinNanos() {
        require(Field.BLKIO_DELAY_MIN);
        return blkioDelayMinNanos;
    }

    /** Longest single swapin delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long swapinDelayMaxNanos() {
        require(Field.SWAPIN_DELAY_MAX);
        return swapinDelayMaxNanos;
    }

    /** Shortest single swapin delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long swapinDelayMinNanos() {
        require(Field.SWAPIN_DELAY_MIN);
        return swapinDelayMinNanos;
    }

    /** Longest single freepages delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long freepagesDelayMaxNanos() {
        require(Field.FREEPAGES_DELAY_MAX);
        return freepagesDelayMaxNanos;
    }

    /** Shortest single freepages delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long freepagesDelayMinNanos() {
        require(Field.FREEPAGES_DELAY_MIN);
        return freepagesDelayMinNanos;
    }

    /** Longest single thrashing delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long thrashingDelayMaxNanos() {
        require(Field.THRASHING_DELAY_MAX);
        return thrashingDelayMaxNanos;
    }

    /** Shortest single thrashing delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long thrashingDelayMinNanos() {
        require(Field.THRASHING_DELAY_MIN);
        return thrashingDelayMinNanos;
    }

    /** Longest single compact delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long compactDelayMaxNanos() {
        require(Field.COMPACT_DELAY_MAX);
        return compactDelayMaxNanos;
    }

    /** Shortest single compact delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long compactDelayMinNanos() {
        require(Field.COMPACT_DELAY_MIN);
        return compactDelayMinNanos;
    }

    /** Longest single wpcopy delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long wpcopyDelayMaxNanos() {
        require(Field.WPCOPY_DELAY_MAX);
        return wpcopyDelayMaxNanos;
    }

    /** Shortest single wpcopy delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long wpcopyDelayMinNanos() {
        require(Field.WPCOPY_DELAY_MIN);
        return wpcopyDelayMinNanos;
    }

    /** Longest single irq delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long irqDelayMaxNanos() {
        require(Field.IRQ_DELAY_MAX);
        return irqDelayMaxNanos;
    }

    /** Shortest single irq delay, ns (version 15 on). @throws NoSuchElementException when absent */
    @Override
    public long irqDelayMinNanos() {
        require(Field.IRQ_DELAY_MIN);
        return irqDelayMinNanos;
    }
}
