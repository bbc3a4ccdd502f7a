package dev.taskshared.publisher;

import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One thread's /proc files, with one kept descriptor: {@code schedstat}, read with pread (no
 * open per sample). That descriptor refers to the task it was opened for: once the task exits,
 * reads fail with ESRCH even if its tid is reused, which is how the registry tells a dead thread
 * from a new one.
 *
 * <p>{@code status} (context switches) and {@code stat} (current CPU) are opened by path only when
 * asked ({@link #readDetails}), read and closed again: a sampler asks only for threads whose
 * schedstat changed, so idle threads cost one pread. A path names whatever task holds the tid
 * now, so {@link #readDetails} checks the task's start time (stat field 22) against the one
 * read at {@link #open}: a different task under a reused tid reads as gone.
 *
 * <p>Reads take a caller-owned buffer of {@link #BUFFER_SIZE} bytes (the read area, then room for
 * a path), so that sampling allocates nothing. Thread-safe: reads and {@link #close()} are
 * serialised, so a descriptor is never read after it was closed (and perhaps reused).
 */
public final class ProcTask implements AutoCloseable {
    /** Bytes read from a /proc file at most: enough for schedstat, status and stat. */
    public static final int READ_SIZE = 4096;
    private static final int PATH_SIZE = 128;
    /** Scratch every read needs: {@link #READ_SIZE} bytes for the file, then a path. */
    public static final int BUFFER_SIZE = READ_SIZE + PATH_SIZE;

    /** {@link #readDetails} outcome: out[] holds the numbers. */
    public static final int DETAILS_READ = 0;
    /** {@link #readDetails} outcome: the thread has exited. */
    public static final int DETAILS_GONE = 1;
    /** {@link #readDetails} outcome: opening a file would take a descriptor inside the margin kept for the application. */
    public static final int DETAILS_NO_DESCRIPTOR = 2;

    private static final byte[] STATUS = "status\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STAT = "stat\0".getBytes(StandardCharsets.US_ASCII);
    private static final int EMFILE = 24;
    private static final int ENFILE = 23;

    private final int pid;
    private final int tid;
    private final int schedstatFd;
    private final byte[] dir;
    private final long startTimeTicks;
    private boolean closed;

    private ProcTask(int pid, int tid, int schedstatFd, byte[] dir, long startTimeTicks) {
        this.pid = pid;
        this.tid = tid;
        this.schedstatFd = schedstatFd;
        this.dir = dir;
        this.startTimeTicks = startTimeTicks;
    }

    /**
     * Opens thread {@code tid} of process {@code pid}, with the default descriptor margin
     * ({@link DescriptorLimit#fromSystemProperties()}).
     *
     * @throws ErrnoException ENOENT when there is no such thread
     * @throws DescriptorLimitException when the descriptor would fall within the margin
     */
    public static ProcTask open(int pid, int tid) {
        return open(pid, tid, DescriptorLimit.fromSystemProperties());
    }

    /**
     * Opens thread {@code tid} of process {@code pid}: keeps one descriptor, which must lie below
     * {@code limit}'s ceiling. Costs an open and a read of schedstat's and stat's paths.
     *
     * @throws ErrnoException ENOENT when there is no such thread
     * @throws DescriptorLimitException when the descriptor would fall within the margin (nothing is kept)
     */
    public static ProcTask open(int pid, int tid, DescriptorLimit limit) {
        String dir = "/proc/" + pid + "/task/" + tid + "/";
        int fd = limit.check(Libc.open(dir + "schedstat", Libc.O_RDONLY | Libc.O_CLOEXEC, 0), "registering thread " + tid);
        ProcTask t;
        try {
            byte[] d = dir.getBytes(StandardCharsets.US_ASCII);
            if (d.length + STATUS.length > PATH_SIZE) {
                throw new IllegalArgumentException("path too long: " + dir);
            }
            long start = startTime(dir + "stat", limit, tid);
            t = new ProcTask(pid, tid, fd, d, start);
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        return t;
    }

    private static long startTime(String statPath, DescriptorLimit limit, int tid) {
        int fd = limit.check(Libc.open(statPath, Libc.O_RDONLY | Libc.O_CLOEXEC, 0), "registering thread " + tid);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(READ_SIZE);
            long n = Libc.pread(fd, buf, READ_SIZE, 0);
            long[] fields = new long[2];
            if (!parseStat(buf, n, fields)) {
                throw new IllegalStateException(statPath + ": unexpected format");
            }
            return fields[0];
        } finally {
            Libc.closeQuietly(fd);
        }
    }

    public int pid() {
        return pid;
    }

    public int tid() {
        return tid;
    }

    /** The task's start time in clock ticks after boot (stat field 22), read at {@link #open}. */
    public long startTimeTicks() {
        return startTimeTicks;
    }

    /**
     * Reads {@code sum_exec_runtime run_delay pcount} into {@code out[0..2]}: one pread of the
     * kept descriptor.
     *
     * @return false when the thread has exited
     */
    public synchronized boolean readSchedstat(MemorySegment buf, long[] out) {
        long n = read(schedstatFd, buf);
        if (n < 0) {
            return false;
        }
        int pos = 0;
        for (int i = 0; i < 3; i++) {
            pos = skipSpaces(buf, pos, n);
            out[i] = parseLong(buf, pos, n);
            pos = skipDigits(buf, pos, n);
        }
        return true;
    }

    /**
     * Reads voluntary and involuntary context switches since the thread started (status) into
     * {@code out[0..1]} and the CPU it last ran on (stat field 39) into {@code out[2]}. Opens, reads
     * and closes both files (six system calls); a descriptor numbered at or above
     * {@code descriptorCeiling} is closed unread.
     *
     * @return {@link #DETAILS_READ}, {@link #DETAILS_GONE} or {@link #DETAILS_NO_DESCRIPTOR}
     */
    public synchronized int readDetails(MemorySegment buf, long descriptorCeiling, long[] out) {
        if (closed) {
            return DETAILS_GONE;
        }
        // status first, then stat: if stat still names our task (same start time), the tid was
        // ours all along, so the status opened before it was ours too.
        int statusFd = openInDir(buf, STATUS);
        if (statusFd < 0) {
            return failure(-statusFd);
        }
        try {
            if (statusFd >= descriptorCeiling) {
                return DETAILS_NO_DESCRIPTOR;
            }
            int statFd = openInDir(buf, STAT);
            if (statFd < 0) {
                return failure(-statFd);
            }
            try {
                if (statFd >= descriptorCeiling) {
                    return DETAILS_NO_DESCRIPTOR;
                }
                long n = read(statFd, buf);
                if (n < 0 || !parseStat(buf, n, out) || out[0] != startTimeTicks) {
                    return DETAILS_GONE;
                }
                out[2] = out[1];
                n = read(statusFd, buf);
                if (n < 0) {
                    return DETAILS_GONE;
                }
                out[0] = fieldAfter(buf, n, "voluntary_ctxt_switches:");
                out[1] = fieldAfter(buf, n, "nonvoluntary_ctxt_switches:");
                return DETAILS_READ;
            } finally {
                Libc.closeQuietly(statFd);
            }
        } finally {
            Libc.closeQuietly(statusFd);
        }
    }

    private static int failure(int errno) {
        if (errno == EMFILE || errno == ENFILE) {
            return DETAILS_NO_DESCRIPTOR;
        }
        if (errno == Errno.ENOENT || errno == Errno.ESRCH) {
            return DETAILS_GONE;
        }
        throw new ErrnoException("open(/proc/<pid>/task/<tid>/...)", errno);
    }

    /** Writes dir + name (NUL-terminated) after the read area and opens it; returns the descriptor or -errno. */
    private int openInDir(MemorySegment buf, byte[] name) {
        MemorySegment path = buf.asSlice(READ_SIZE, PATH_SIZE);
        MemorySegment.copy(dir, 0, path, ValueLayout.JAVA_BYTE, 0, dir.length);
        MemorySegment.copy(name, 0, path, ValueLayout.JAVA_BYTE, dir.length, name.length);
        return Libc.openRaw(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
    }

    /**
     * Parses stat: starttime (field 22) into {@code out[0]}, processor (field 39) into
     * {@code out[1]}. comm (field 2) may hold spaces and parentheses: fields count from the last ')'.
     */
    private static boolean parseStat(MemorySegment buf, long n, long[] out) {
        int pos = -1;
        for (int i = (int) n - 1; i >= 0; i--) {
            if (buf.get(ValueLayout.JAVA_BYTE, i) == ')') {
                pos = i + 1;
                break;
            }
        }
        if (pos < 0) {
            return false;
        }
        for (int field = 3; field <= 39; field++) {
            pos = skipSpaces(buf, pos, n);
            if (pos >= n) {
                return false;
            }
            if (field == 22) {
                out[0] = parseLong(buf, pos, n);
            } else if (field == 39) {
                out[1] = parseLong(buf, pos, n);
                return true;
            }
            while (pos < n && buf.get(ValueLayout.JAVA_BYTE, pos) != ' ') {
                pos++;
            }
        }
        return false;
    }

    /** True while the thread this object was opened for is alive. One pread. */
    public synchronized boolean alive(MemorySegment buf) {
        return read(schedstatFd, buf) >= 0;
    }

    private long read(int fd, MemorySegment buf) {
        if (fd < 0 || closed) {
            return -1;
        }
        try {
            return Libc.pread(fd, buf, Math.min(buf.byteSize(), READ_SIZE), 0);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ESRCH || e.errno() == Errno.ENOENT) {
                return -1;
            }
            throw e;
        }
    }

    private static long fieldAfter(MemorySegment buf, long n, String key) {
        int k = key.length();
        outer:
        for (int i = 0; i + k <= n; i++) {
            if (i > 0 && buf.get(ValueLayout.JAVA_BYTE, i - 1) != '\n') {
                continue;
            }
            for (int j = 0; j < k; j++) {
                if (buf.get(ValueLayout.JAVA_BYTE, i + j) != key.charAt(j)) {
                    continue outer;
                }
            }
            return parseLong(buf, skipSpaces(buf, i + k, n), n);
        }
        return 0;
    }

    private static int skipSpaces(MemorySegment buf, int pos, long n) {
        while (pos < n) {
            byte b = buf.get(ValueLayout.JAVA_BYTE, pos);
            if (b != ' ' && b != '\t') {
                break;
            }
            pos++;
        }
        return pos;
    }

    private static int skipDigits(MemorySegment buf, int pos, long n) {
        while (pos < n && Character.isDigit(buf.get(ValueLayout.JAVA_BYTE, pos))) {
            pos++;
        }
        return pos;
    }

    private static long parseLong(MemorySegment buf, int pos, long n) {
        long v = 0;
        boolean neg = pos < n && buf.get(ValueLayout.JAVA_BYTE, pos) == '-';
        if (neg) {
            pos++;
        }
        while (pos < n) {
            byte b = buf.get(ValueLayout.JAVA_BYTE, pos);
            if (b < '0' || b > '9') {
                break;
            }
            v = v * 10 + (b - '0');
            pos++;
        }
        return neg ? -v : v;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.closeQuietly(schedstatFd);
    }
}
