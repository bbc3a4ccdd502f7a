package dev.taskshared.bpf;

import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.util.concurrent.atomic.AtomicInteger;

/** A descriptor owned by one object: closed once, and -1 afterwards so use after close is a clear error. */
final class Fd {
    private final AtomicInteger fd;
    private final String what;

    Fd(int fd, String what) {
        this.fd = new AtomicInteger(fd);
        this.what = what;
    }

    int get() {
        int v = fd.get();
        if (v < 0) {
            throw new IllegalStateException(what + " is closed");
        }
        return v;
    }

    boolean isOpen() {
        return fd.get() >= 0;
    }

    void close() {
        int v = fd.getAndSet(-1);
        if (v >= 0) {
            try {
                Libc.close(v);
            } catch (ErrnoException e) {
                // close(2) releases the descriptor even when it reports an error; nothing to retry
            }
        }
    }

    @Override
    public String toString() {
        return Integer.toString(fd.get());
    }
}
