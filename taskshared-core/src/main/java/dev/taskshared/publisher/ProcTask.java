package dev.taskshared.publisher;

import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One thread's /proc files, opened once and read with pread (no open/close per sample). A kept
 * descriptor refers to the task it was opened for: once that task exits, reads fail with ESRCH
 * even if its tid is reused, which is how the registry tells a dead thread from a new one.
 *
 * <p>Reads take a caller-owned buffer so that sampling allocates nothing. Thread-safe: reads and
 * {@link #close()} are serialised, so a descriptor is never read after it was closed (and
 * perhaps reused for another file).
 */
public final class ProcTask implements AutoCloseable {
    /** Bytes enough for schedstat, status and stat. */
    public static final int BUFFER_SIZE = 4096;

    private final int pid;
    private final int tid;
    private final int schedstatFd;
    private int statusFd = -1;
    private int statFd = -1;
    private boolean closed;

    private ProcTask(int pid, int tid, int schedstatFd) {
        this.pid = pid;
        this.tid = tid;
        this.schedstatFd = schedstatFd;
    }

    /**
     * Opens thread {@code tid} of process {@code pid}.
     *
     * @throws ErrnoException ENOENT when there is no such thread
     */
    public static ProcTask open(int pid, int tid) {
        return new ProcTask(pid, tid, Libc.open(dir(pid, tid) + "schedstat", Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
    }

    private static String dir(int pid, int tid) {
        return "/proc/" + pid + "/task/" + tid + "/";
    }

    public int pid() {
        return pid;
    }

    public int tid() {
        return tid;
    }

    /**
     * Reads {@code sum_exec_runtime run_delay pcount} into {@code out[0..2]}.
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
     * Reads voluntary and nonvoluntary context switches (since the thread started) from status
     * into {@code out[0..1]}.
     *
     * @return false when the thread has exited
     */
    public synchronized boolean readSwitches(MemorySegment buf, long[] out) {
        if (statusFd < 0) {
            statusFd = openOrMinusOne("status");
        }
        long n = read(statusFd, buf);
        if (n < 0) {
            return false;
        }
        out[0] = fieldAfter(buf, n, "voluntary_ctxt_switches:");
        out[1] = fieldAfter(buf, n, "nonvoluntary_ctxt_switches:");
        return true;
    }

    /**
     * The CPU the thread last ran on (field 39 of stat).
     *
     * @return -1 when the thread has exited
     */
    public synchronized int readCpu(MemorySegment buf) {
        if (statFd < 0) {
            statFd = openOrMinusOne("stat");
        }
        long n = read(statFd, buf);
        if (n < 0) {
            return -1;
        }
        // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
        int pos = -1;
        for (int i = (int) n - 1; i >= 0; i--) {
            if (buf.get(ValueLayout.JAVA_BYTE, i) == ')') {
                pos = i + 1;
                break;
            }
        }
        if (pos < 0) {
            return -1;
        }
        for (int field = 3; field < 39; field++) {
            pos = skipSpaces(buf, pos, n);
            while (pos < n && buf.get(ValueLayout.JAVA_BYTE, pos) != ' ') {
                pos++;
            }
        }
        pos = skipSpaces(buf, pos, n);
        return (int) parseLong(buf, pos, n);
    }

    /** True while the thread this object was opened for is alive. One pread. */
    public synchronized boolean alive(MemorySegment buf) {
        return read(schedstatFd, buf) >= 0;
    }

    private int openOrMinusOne(String file) {
        try {
            return Libc.open(dir(pid, tid) + file, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            return -1;
        }
    }

    private long read(int fd, MemorySegment buf) {
        if (fd < 0 || closed) {
            return -1;
        }
        try {
            return Libc.pread(fd, buf, Math.min(buf.byteSize(), BUFFER_SIZE), 0);
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
        Libc.closeQuietly(statusFd);
        Libc.closeQuietly(statFd);
    }
}
