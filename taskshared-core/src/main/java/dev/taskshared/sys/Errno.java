package dev.taskshared.sys;

import java.lang.foreign.MemorySegment;

/** Error numbers of Linux x86-64 that the library branches on, and names for all of them. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int E2BIG = 7;
    public static final int ENOSYS = 38;
    public static final int ENOTSUP = 95;
    public static final int ENOBUFS = 105;

    private Errno() {
    }

    /** {@code EPERM} for 1; {@code errno N} when libc has no name for it. */
    public static String name(int errno) {
        try {
            MemorySegment s = (MemorySegment) Libc.STRERRORNAME_NP.invokeExact(errno);
            if (!s.equals(MemorySegment.NULL)) {
                return Libc.cString(s);
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t); // a downcall that cannot be made is a bug, not an unknown errno
        }
        return "errno " + errno;
    }

    /** libc's description, for example "Operation not permitted". */
    public static String describe(int errno) {
        try {
            return Libc.cString((MemorySegment) Libc.STRERROR.invokeExact(errno));
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
