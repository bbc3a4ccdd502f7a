package dev.taskshared.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

/**
 * The host publisher's pin directory, declared once: which objects are pinned under which names,
 * and who may open them. The owners and modes are the trust boundary (see the README):
 *
 * <pre>
 * DIR             0750 root:GROUP   members may list it; only root creates or removes names in it
 * DIR/tasks       0660 root:GROUP   the task-storage map: members open it read-write and register their threads
 * DIR/seed        0660 root:GROUP   the seed program (SYSCALL type): members run it on their own threads;
 *                                   the kernel cannot attach it anywhere
 * DIR/seed_task   0660 root:GROUP   the task seed program (SYSCALL type, Linux 6.13+): members run it for a thread
 *                                   they have just registered, by its id
 * DIR/info        0640 root:GROUP   the host info record ({@link HostInfo}): members open it read-only
 * DIR/switch_link 0600 root:root    the links that keep the programs attached: root only, so no member
 * DIR/exit_link   0600 root:root    can detach them
 * </pre>
 */
public final class HostPins {
    /** Where {@code taskshared publisher install} pins, and where libraries look, by default. */
    public static final String DEFAULT_DIR_NAME = "/sys/fs/bpf/taskshared";
    /** {@link #DEFAULT_DIR_NAME} as a path. */
    public static final Path DEFAULT_DIR = Path.of(DEFAULT_DIR_NAME);
    /** Where the BPF file system is normally mounted. */
    public static final Path BPF_FS = Path.of("/sys/fs/bpf");
    /** The group the map is given to by default. */
    public static final String DEFAULT_GROUP = "taskshared";

    public static final String TASKS = "tasks";
    public static final String SEED = "seed";
    public static final String SEED_TASK = "seed_task";
    public static final String INFO = "info";
    public static final String SWITCH_LINK = "switch_link";
    public static final String EXIT_LINK = "exit_link";
    /** Every name an install creates, in the order uninstall removes them (the info record first: "not installed" from then on). */
    public static final List<String> ALL = List.of(INFO, SWITCH_LINK, EXIT_LINK, SEED, SEED_TASK, TASKS);

    /** rwxr-x---: the directory. */
    public static final Set<PosixFilePermission> DIR_MODE = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE);
    /** rw-rw----: the map and the seed programs. */
    public static final Set<PosixFilePermission> GROUP_RW = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE);
    /** rw-r-----: the info record. */
    public static final Set<PosixFilePermission> GROUP_R = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.GROUP_READ);
    /** rw-------: the links. */
    public static final Set<PosixFilePermission> ROOT_ONLY = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private HostPins() {
    }

    /** The mode {@code name} gets at install. */
    public static Set<PosixFilePermission> modeOf(String name) {
        return switch (name) {
            case TASKS, SEED, SEED_TASK -> GROUP_RW;
            case INFO -> GROUP_R;
            case SWITCH_LINK, EXIT_LINK -> ROOT_ONLY;
            default -> throw new IllegalArgumentException("not a host publisher pin: " + name);
        };
    }

    /** Whether {@code name} is given to the group (else it stays root's). */
    public static boolean groupOwned(String name) {
        return !modeOf(name).equals(ROOT_ONLY);
    }

    /**
     * Why this process may not open {@code pin}, in words a user can act on: for example
     * {@code rw-rw---- root:taskshared, and this process (uid 1001, groups [1001]) is not in group
     * taskshared (gid 995)}; or that the directory itself is closed to it.
     */
    static String explainDenied(Path pin) {
        Path target = pin;
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(pin, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            target = pin.getParent(); // a member of nothing may not even look inside the directory
            try {
                a = Files.readAttributes(target, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException e2) {
                return "its directory cannot be read (" + e2.getMessage() + ")";
            }
        }
        String mode = java.nio.file.attribute.PosixFilePermissions.toString(a.permissions()) + " " + a.owner().getName() + ":"
                + a.group().getName();
        ProcessIds ids = ProcessIds.current();
        int gid;
        try {
            gid = (int) Files.getAttribute(target, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return (target == pin ? "" : target + " is ") + mode;
        }
        String who = "this process (uid " + ids.uid() + ", gid " + ids.gid() + ", groups " + ids.groups() + ")";
        return (target == pin ? "" : target + " is ") + mode + (ids.inGroup(gid)
                ? ", and " + who + " is in its group: the mode itself denies it"
                : ", and " + who + " is not in group " + a.group().getName() + " (gid " + gid + ")");
    }
}
