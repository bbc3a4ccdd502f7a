package dev.taskshared.host;

import dev.taskshared.region.SlotFeature;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.MapSpec;
import dev.taskshared.publisher.HostPrograms;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * {@code taskshared publisher install | uninstall}: loads the task-storage programs once for the
 * host and pins them, with the host info record, under a bpffs directory ({@link HostPins}); then
 * the installing process exits and the programs stay attached through their pinned links, until
 * {@link #uninstall} removes every pin. Needs root (CAP_BPF, CAP_PERFMON, CAP_CHOWN, and
 * CAP_SYS_ADMIN to mount bpffs where it is missing).
 */
public final class HostInstaller {

    /**
     * What to install.
     *
     * @param dir the pin directory, inside a BPF file system
     * @param group a group name or gid ({@link HostGroup#resolve})
     * @param replace replace an install of another version (or a broken one) instead of refusing
     * @param withheldFeatures slot features the info record does not offer although the programs
     *     write them (0: none); libraries then do not read them
     */
    public record Options(Path dir, String group, boolean replace, long withheldFeatures) {
        public static Options defaults() {
            return new Options(HostPins.DEFAULT_DIR, HostPins.DEFAULT_GROUP, false, 0);
        }

        public Options dir(Path d) {
            return new Options(d, group, replace, withheldFeatures);
        }

        public Options group(String g) {
            return new Options(dir, g, replace, withheldFeatures);
        }

        public Options replace(boolean r) {
            return new Options(dir, group, r, withheldFeatures);
        }

        public Options withhold(SlotFeature... features) {
            return new Options(dir, group, replace, SlotFeature.maskOf(features));
        }
    }

    /** What an install did: {@code changed} false for an install of the same version that was already there. */
    public record Installed(boolean changed, String message, HostInfo.Content info, HostGroup group) {
    }

    private HostInstaller() {
    }

    /**
     * Installs, or does nothing when the same version is installed for the same group.
     *
     * @throws IllegalStateException when another version (or a broken install) is there and
     *     {@code replace} is false, saying what is there
     * @throws ErrnoException with the kernel's reason when loading or pinning fails (EPERM: not root)
     */
    public static Installed install(Options o) throws IOException, InterruptedException {
        Path dir = o.dir().toAbsolutePath().normalize();
        boolean mounted = ensureBpfFs(dir);
        List<Path> opened = ensureSearchable(dir.getParent());
        HostGroup group = HostGroup.resolve(o.group());
        HostInfo.Content want = HostInfo.current(SlotFeature.allKnown() & ~o.withheldFeatures(), HostInfo.FLAG_SEED, libraryVersion(),
                HostPrograms.fingerprint(), group.gid());
        boolean replaced = false;
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Optional<HostInfo.Content> there = readInfo(dir);
            if (there.isPresent() && there.get().sameInstallAs(want) && there.get().groupGid() == group.gid()
                    && want.features()[0] == there.get().features()[0]) {
                return new Installed(false, "already installed at " + dir + ": " + there.get().describe() + "; nothing to do",
                        there.get(), group);
            }
            if (!o.replace()) {
                throw new IllegalStateException(there.map(c -> "an install of version " + c.describe() + " for gid " + c.groupGid()
                                + " is at " + dir + " (this is " + want.version() + ", programs " + want.programs() + ", for " + group.name()
                                + "): pass --replace to replace it")
                        .orElse(dir + " exists but holds no host info record (a failed install?): run uninstall, or pass --replace"));
            }
            uninstall(dir);
            replaced = true;
        }
        Files.createDirectory(dir);
        HostInfo.Content written;
        List<Path> created = new ArrayList<>();
        try {
            give(dir, HostPins.DIR_MODE, group.gid());
            try (HostPrograms programs = HostPrograms.load();
                 BpfMap info = BpfMap.create(MapSpec.array(HostInfo.VALUE_SIZE, 1).named("tsh_info"));
                 Arena arena = Arena.ofConfined()) {
                MemorySegment value = arena.allocate(HostInfo.VALUE_SIZE, 8);
                written = want.withHostFlag(HostInfo.FLAG_SEED_TASK, programs.seedTask() != null);
                HostInfo.write(value, written);
                info.update(arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, 0), value, BpfMap.ANY);
                pin(dir, HostPins.TASKS, group, created, p -> programs.tasks().pin(p));
                pin(dir, HostPins.SEED, group, created, p -> programs.seed().pin(p));
                if (programs.seedTask() != null) {
                    pin(dir, HostPins.SEED_TASK, group, created, p -> programs.seedTask().pin(p));
                }
                pin(dir, HostPins.SWITCH_LINK, group, created, p -> programs.switchLink().pin(p));
                pin(dir, HostPins.EXIT_LINK, group, created, p -> programs.exitLink().pin(p));
                pin(dir, HostPins.INFO, group, created, p -> info.pin(p)); // last: from here on it is installed
            }
        } catch (IOException | RuntimeException | Error e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                Files.deleteIfExists(created.get(i));
            }
            Files.deleteIfExists(dir);
            throw e;
        }
        return new Installed(true, (replaced ? "replaced the install at " : "installed at ") + dir + ": " + written.describe()
                + "; the map is given to group " + group.name() + " (gid " + group.gid() + ")"
                + (mounted ? "; mounted the BPF file system at " + dir.getParent() : "")
                + (opened.isEmpty() ? "" : "; gave others search permission (x, not read) on " + opened + " so that members can reach " + dir),
                written, group);
    }

    private interface Pinner {
        void pin(Path path);
    }

    private static void pin(Path dir, String name, HostGroup group, List<Path> created, Pinner pinner) throws IOException {
        Path p = dir.resolve(name);
        pinner.pin(p);
        created.add(p);
        give(p, HostPins.modeOf(name), HostPins.groupOwned(name) ? group.gid() : 0);
    }

    /** chown root:gid, then chmod (in that order: a chown clears nothing we set after it). */
    private static void give(Path p, java.util.Set<java.nio.file.attribute.PosixFilePermission> mode, int gid) throws IOException {
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(p, mode);
    }

    /**
     * What an uninstall did.
     *
     * @param removed the pin names removed (empty: nothing was installed)
     * @param detached ids of the programs the removed links had attached, gone from the kernel since
     * @param stillLoaded ids of those programs the kernel still had 2 s after (some process holds them open)
     */
    public record Uninstalled(List<String> removed, List<Integer> detached, List<Integer> stillLoaded) {
    }

    /**
     * Removes every pin of an install at {@code dir}, and the directory: the programs detach as
     * soon as the last link pin goes (no process holds their links); the map lives on only while
     * some JVM still holds it, unwritten. Pins of other names are left, and named. Then waits up
     * to 2 s for the kernel to free the programs the links attached.
     */
    public static Uninstalled uninstall(Path dir) throws IOException, InterruptedException {
        List<Integer> attached = new ArrayList<>();
        for (String link : List.of(HostPins.SWITCH_LINK, HostPins.EXIT_LINK)) {
            Path pin = dir.resolve(link);
            if (Files.exists(pin, LinkOption.NOFOLLOW_LINKS)) {
                try (BpfLink l = BpfLink.openPinned(pin)) {
                    attached.add(l.programId());
                }
            }
        }
        List<String> removed = new ArrayList<>();
        for (String name : HostPins.ALL) {
            if (Files.deleteIfExists(dir.resolve(name))) {
                removed.add(name);
            }
        }
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            List<String> others = new ArrayList<>();
            try (DirectoryStream<Path> d = Files.newDirectoryStream(dir)) {
                d.forEach(p -> others.add(p.getFileName().toString()));
            }
            if (!others.isEmpty()) {
                throw new IllegalStateException("removed " + removed + " from " + dir + " but left it: it also holds " + others
                        + ", which are not the host publisher's");
            }
            Files.delete(dir);
        }
        // The kernel frees a detached program after an RCU grace period: wait for it, briefly.
        List<Integer> still = new ArrayList<>(attached);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!still.isEmpty()) {
            still.removeIf(id -> !BpfProgram.exists(id));
            if (still.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(20);
        }
        List<Integer> detached = new ArrayList<>(attached);
        detached.removeAll(still);
        return new Uninstalled(removed, detached, still);
    }

    /** The info record of an install at {@code dir}, or empty when there is none. Root (or the group) only. */
    public static Optional<HostInfo.Content> readInfo(Path dir) {
        Path pin = dir.resolve(HostPins.INFO);
        if (!Files.exists(pin, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (BpfMap info = BpfMap.openPinned(pin, true); Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(info.valueSize(), 8);
            if (!info.lookup(arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, 0), value)) {
                return Optional.empty();
            }
            return Optional.of(HostInfo.read(value, pin.toString()));
        }
    }

    /**
     * Makes sure {@code dir}'s parent is in a BPF file system: mounts one at /sys/fs/bpf when
     * that is the parent and nothing is mounted there; returns whether it mounted.
     */
    static boolean ensureBpfFs(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent == null) {
            throw new IllegalArgumentException(dir + " has no parent directory");
        }
        if (fsType(parent).equals("bpf")) {
            return false;
        }
        if (!parent.equals(HostPins.BPF_FS)) {
            throw new IllegalArgumentException(parent + " is not in a BPF file system (it is " + fsType(parent) + "): mount one "
                    + "(mount -t bpf bpf " + parent + ") or choose a --dir under " + HostPins.BPF_FS);
        }
        Libc.mount("bpf", parent.toString(), "bpf", 0);
        // A new bpffs root is 1777 (anyone may pin there): make it what systemd mounts (0700),
        // plus the search permission members need to reach the pin directory.
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
        return true;
    }

    /**
     * Gives others search permission on {@code parent} and its ancestors in the same BPF file
     * system where they lack it (systemd mounts /sys/fs/bpf 0700): without it no member could
     * reach the pins. Search only: the names of other pins stay unlistable, and each pin keeps
     * its own mode. Returns the directories changed; uninstall leaves them so (another install
     * may rely on it).
     */
    static List<Path> ensureSearchable(Path parent) throws IOException {
        List<Path> changed = new ArrayList<>();
        for (Path p = parent; p != null && fsType(p).equals("bpf"); p = p.getParent()) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            if (!mode.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                Set<PosixFilePermission> searchable = EnumSet.copyOf(mode);
                searchable.add(PosixFilePermission.OTHERS_EXECUTE);
                searchable.add(PosixFilePermission.GROUP_EXECUTE);
                Files.setPosixFilePermissions(p, searchable);
                changed.add(p);
            }
        }
        return changed;
    }

    static String fsType(Path p) throws IOException {
        try {
            return Files.getFileStore(p).type();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(p + " does not exist", e);
        }
    }

    /**
     * This library's version: the core jar's Maven version, or {@code dev} when it runs from
     * classes (a build tree); installs of the same version are told apart by their programs'
     * fingerprint too.
     */
    public static String libraryVersion() {
        try (InputStream in = HostInstaller.class.getResourceAsStream("/META-INF/maven/dev.taskshared/taskshared-core/pom.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
