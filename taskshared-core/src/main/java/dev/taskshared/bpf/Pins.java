package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.sys.Bpf;
import dev.taskshared.sys.BpfAttr.ObjPin;
import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * BPF_OBJ_PIN and BPF_OBJ_GET: a map, program or link given a name in a BPF file system (bpffs),
 * where it outlives the process that created it, and opened again by that name. The pin file's
 * owner and mode decide who may open it, as for any file: a read-write open (every program and
 * link, and a map that is to be written or mmapped) needs write permission on it, a read-only open
 * of a map ({@link #READ_ONLY}) read permission. Removing the file drops the pin's reference.
 */
final class Pins {
    /** BPF_F_RDONLY: open a pinned map read-only. */
    static final int READ_ONLY = 1 << 3;

    private Pins() {
    }

    /** Pins {@code fd} at {@code path}, a new name in a bpffs directory. */
    static void pin(int fd, Path path, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, ObjPin.PATHNAME, arena.allocateFrom(path.toString()).address());
            attr.set(JAVA_INT, ObjPin.BPF_FD, fd);
            long rc = Bpf.callRaw(BpfCmd.OBJ_PIN, attr);
            if (rc < 0) {
                int errno = (int) -rc;
                String op = "bpf(BPF_OBJ_PIN " + what + " at " + path + ")";
                if (errno == Errno.EEXIST) {
                    throw new ErrnoException(op, errno, "something is pinned there already");
                }
                if (errno == Errno.EPERM && !onBpfFs(path.getParent())) {
                    throw new ErrnoException(op, errno, path.getParent() + " is not in a BPF file system (mount -t bpf bpf /sys/fs/bpf)");
                }
                throw BpfErrors.of(op, errno);
            }
        }
    }

    /**
     * Opens the object pinned at {@code path}; returns the new descriptor, which the caller owns.
     *
     * @param fileFlags 0 (read-write) or {@link #READ_ONLY}
     * @throws ErrnoException ENOENT when nothing is pinned there; EACCES when the pin file's mode
     *     does not allow this user the access asked for, with the file's owner and mode in the message
     */
    static int get(Path path, int fileFlags, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, ObjPin.PATHNAME, arena.allocateFrom(path.toString()).address());
            attr.set(JAVA_INT, ObjPin.FILE_FLAGS, fileFlags);
            long rc = Bpf.callRaw(BpfCmd.OBJ_GET, attr);
            if (rc >= 0) {
                return (int) rc;
            }
            int errno = (int) -rc;
            String op = "bpf(BPF_OBJ_GET " + what + " " + path + ")";
            if (errno == Errno.ENOENT) {
                throw new ErrnoException(op, errno, "nothing is pinned there");
            }
            if (errno == Errno.EACCES || errno == Errno.EPERM) {
                throw new ErrnoException(op, errno, (fileFlags == READ_ONLY ? "reading" : "reading and writing") + " it needs "
                        + (fileFlags == READ_ONLY ? "read" : "read and write") + " permission on the pin file, which is "
                        + describe(path));
            }
            throw BpfErrors.of(op, errno);
        }
    }

    /** {@code mode 0660 root:taskshared}, or why the file cannot be described. */
    static String describe(Path path) {
        try {
            PosixFileAttributes a = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return PosixFilePermissions.toString(a.permissions()) + " " + a.owner().getName() + ":" + a.group().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "not readable here (" + e + ")";
        }
    }

    /** Whether {@code dir} lies in a BPF file system (by its file-system type in /proc/self/mounts). */
    static boolean onBpfFs(Path dir) {
        try {
            return dir != null && Files.getFileStore(dir).type().equals("bpf");
        } catch (IOException e) {
            return false;
        }
    }
}
