package dev.taskshared.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.host.HostInstaller;
import dev.taskshared.sys.Libc;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A host publisher installed for one test class, and everything it needs, created and undone by
 * the fixture: a private BPF file system mounted on a temporary directory (never the host's
 * /sys/fs/bpf, so a real install is untouched), a group and two system users with a random
 * suffix ({@code tsg…}; {@code tsm…} and {@code tsn…} in the group, {@code tso…} not), and the install itself.
 * {@link #close()} undoes all of it, and a shutdown hook does too if the JVM ends first.
 *
 * <p>Child JVMs run as those users through {@code setpriv} (uid, gid and supplementary groups
 * set, every capability dropped), optionally inside {@code unshare --pid --fork --mount-proc}.
 * Needs root, BPF, useradd/groupadd and setpriv: {@link #create} skips (or fails where privileged
 * tests are required) with the reason elsewhere.
 */
public final class HostFixture implements AutoCloseable {
    private final Path mountPoint;
    private Path classPathCopy;
    private String readableClassPath;
    private final Path dir;
    private final String group;
    private final int gid;
    private final String member;
    private final int memberUid;
    private final String member2;
    private final int member2Uid;
    private final String outsider;
    private final int outsiderUid;
    private final Thread hook;
    private boolean closed;

    private HostFixture(Path mountPoint, String group, int gid, String member, int memberUid, String member2, int member2Uid,
                        String outsider, int outsiderUid) {
        this.mountPoint = mountPoint;
        this.dir = mountPoint.resolve("taskshared");
        this.group = group;
        this.gid = gid;
        this.member = member;
        this.memberUid = memberUid;
        this.member2 = member2;
        this.member2Uid = member2Uid;
        this.outsider = outsider;
        this.outsiderUid = outsiderUid;
        this.hook = new Thread(this::undoQuietly, "host-fixture-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Sets everything up and installs the host publisher (with {@code options} applied to the fixture's directory and group). */
    public static HostFixture create(java.util.function.UnaryOperator<HostInstaller.Options> options) throws Exception {
        requirePrerequisites();
        String suffix = Long.toString(new SecureRandom().nextLong() >>> 1, 36).substring(0, 6);
        Path mount = Files.createTempDirectory("taskshared-bpffs-");
        HostFixture f = null;
        boolean mounted = false;
        List<String> undo = new ArrayList<>();
        try {
            Libc.mount("bpf", mount.toString(), "bpf", 0);
            mounted = true;
            // As systemd mounts /sys/fs/bpf: only root may enter; the install must make it searchable.
            Files.setPosixFilePermissions(mount, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            String group = "tsg" + suffix;
            run("groupadd", "--system", group);
            undo.add("groupdel " + group);
            String member = "tsm" + suffix;
            String member2 = "tsn" + suffix;
            String outsider = "tso" + suffix;
            for (String user : List.of(member, member2, outsider)) {
                run("useradd", "--system", "--no-create-home", "--no-user-group", "--shell", "/usr/sbin/nologin", user);
                undo.add("userdel " + user);
            }
            run("usermod", "-a", "-G", group, member);
            run("usermod", "-a", "-G", group, member2);
            f = new HostFixture(mount, group, Integer.parseInt(run("getent", "group", group).split(":")[2]), member, uid(member),
                    member2, uid(member2), outsider, uid(outsider));
            HostInstaller.install(options.apply(HostInstaller.Options.defaults().dir(f.dir).group(group)));
            return f;
        } catch (Exception | Error e) {
            if (f != null) {
                f.close();
            } else {
                for (int i = undo.size() - 1; i >= 0; i--) {
                    runQuietly(undo.get(i).split(" "));
                }
                if (mounted) {
                    runQuietly("umount", mount.toString());
                }
                Files.deleteIfExists(mount);
            }
            throw e;
        }
    }

    /** Everything {@link #create} needs, or skip / fail with what is missing. */
    public static void requirePrerequisites() throws IOException {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        List<String> missing = new ArrayList<>();
        if (!root) {
            missing.add("root");
        }
        for (String tool : List.of("/usr/sbin/groupadd", "/usr/sbin/useradd", "/usr/sbin/usermod", "/usr/sbin/userdel", "/usr/sbin/groupdel",
                "/usr/bin/setpriv", "/usr/bin/unshare")) {
            if (!Files.isExecutable(Path.of(tool))) {
                missing.add(tool);
            }
        }
        if (!dev.taskshared.bpf.btf.Btf.vmlinuxAvailable()) {
            missing.add("BTF (/sys/kernel/btf/vmlinux)");
        }
        Privileged.require("host publisher fixture", missing.isEmpty(), "missing " + missing);
    }

    /** The pin directory of the install. */
    public Path dir() {
        return dir;
    }

    public String group() {
        return group;
    }

    public int gid() {
        return gid;
    }

    /** A user in the group. */
    public int memberUid() {
        return memberUid;
    }

    /** A user not in the group. */
    public int outsiderUid() {
        return outsiderUid;
    }

    /** Who a child JVM runs as: two users of the group, and one not in it. */
    public enum As { MEMBER, MEMBER2, OUTSIDER }

    /**
     * Starts a child JVM running {@code mainClass} with {@code args} as {@code who}, with the
     * library pointed at this install (and {@code jvmOptions} before the class), optionally in a
     * new PID namespace.
     */
    public Child start(As who, boolean pidNamespace, List<String> jvmOptions, Class<?> mainClass, String... args) throws IOException {
        return start(who, pidNamespace, null, jvmOptions, mainClass, args);
    }

    /**
     * Starts a child JVM the way a container of dist/kubernetes/app-pod.yaml runs: in new PID and
     * mount namespaces, with the whole BPF file system bind-mounted read-only at {@code mountAt}
     * (an empty directory) and the library pointed at the pin directory there, as {@code who}
     * with the group as a supplementary group only.
     */
    public Child startInContainer(As who, Path mountAt, Class<?> mainClass, String... args) throws IOException {
        return start(who, true, mountAt, List.of(), mainClass, args);
    }

    private Child start(As who, boolean pidNamespace, Path mountAt, List<String> jvmOptions, Class<?> mainClass, String... args)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>();
        if (pidNamespace) {
            cmd.addAll(List.of("/usr/bin/unshare", "--pid", "--fork", "--mount-proc"));
        }
        if (mountAt != null) { // the bind mount is made in the new mount namespace, before privileges are dropped
            cmd.addAll(List.of("/bin/sh", "-c", "mount --bind -o ro \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh", mountPoint.toString(),
                    mountAt.toString()));
        }
        boolean inGroup = who != As.OUTSIDER;
        int uid = switch (who) {
            case MEMBER -> memberUid;
            case MEMBER2 -> member2Uid;
            case OUTSIDER -> outsiderUid;
        };
        // A container's user: its own primary group (65534 stands in), the install's group as a supplementary one.
        cmd.addAll(List.of("/usr/bin/setpriv", "--reuid", Integer.toString(uid),
                "--regid", inGroup && mountAt == null ? Integer.toString(gid) : "65534", "--groups", inGroup ? Integer.toString(gid) : "65534",
                "--inh-caps=-all", "--bounding-set=-all"));
        cmd.addAll(List.of(java, "-XX:-UsePerfData", "-Xmx64m", "--enable-native-access=ALL-UNNAMED",
                "-Dtaskshared.hostPublisher=" + (mountAt != null ? mountAt.resolve(dir.getFileName()) : dir)));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", readableClassPath(), mainClass.getName()));
        cmd.addAll(List.of(args));
        return new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** Runs a child to its end (at most {@code timeoutSeconds}) and returns its output lines; asserts exit 0. */
    public List<String> run(As who, boolean pidNamespace, int timeoutSeconds, Class<?> mainClass, String... args) throws Exception {
        try (Child c = start(who, pidNamespace, List.of(), mainClass, args)) {
            return c.finish(timeoutSeconds);
        }
    }

    /** A child JVM whose output is collected line by line by a thread of its own. */
    public static final class Child implements AutoCloseable {
        private final Process process;
        private final List<String> lines = new ArrayList<>();

        Child(Process process) {
            this.process = process;
            Thread.ofPlatform().daemon().name("child-output-" + process.pid()).start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (lines) {
                            lines.add(line);
                            lines.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the pipe closed with the child
                }
            });
        }

        /** Collects the output of {@code process} (started with its error stream merged). */
        public static Child of(Process process) {
            return new Child(process);
        }

        public Process process() {
            return process;
        }

        /** The first output line matching {@code p} within {@code timeoutSeconds}; fails with all output otherwise. */
        public String await(Predicate<String> p, int timeoutSeconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            synchronized (lines) {
                while (true) {
                    for (String l : lines) {
                        if (p.test(l)) {
                            return l;
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (!process.isAlive() && deadline - System.nanoTime() > 500_000_000L) {
                        deadline = System.nanoTime() + 500_000_000L; // ended: let the reader drain, then give up
                    }
                    if (left <= 0) {
                        throw new AssertionError("no such line from the child within " + timeoutSeconds + " s; it printed:\n" + String.join("\n", lines));
                    }
                    lines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 100)));
                }
            }
        }

        /** The output so far. */
        public List<String> lines() {
            synchronized (lines) {
                return new ArrayList<>(lines);
            }
        }

        /** Sends a line to the child's standard input. */
        public void send(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        /** Waits for the end (at most {@code timeoutSeconds}), asserts exit 0 and returns every line. */
        public List<String> finish(int timeoutSeconds) throws InterruptedException {
            boolean ended = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            Thread.sleep(50); // the reader drains the last lines
            List<String> out = lines();
            assertThat(ended).as("child finished within " + timeoutSeconds + " s: " + String.join("\n", out)).isTrue();
            assertThat(process.exitValue()).as(String.join("\n", out)).isZero();
            return out;
        }

        /** Kills the child (and, in a PID namespace, its init and so everything in it). */
        @Override
        public void close() throws InterruptedException {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * This JVM's class path as the unprivileged users can read it: a copy of every entry in a
     * temporary directory open to all, made once. The build's own paths may not be (a Maven
     * repository under /root is 0700; a CI checkout may be too), and a JVM silently skips a class
     * path entry it cannot read.
     */
    private synchronized String readableClassPath() throws IOException {
        if (readableClassPath == null) {
            Path copy = Files.createTempDirectory("taskshared-cp-");
            classPathCopy = copy;
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : ChildJvm.classPath().split(java.io.File.pathSeparator)) {
                Path from = Path.of(entry);
                if (!Files.exists(from)) {
                    continue;
                }
                Path to = copy.resolve(i++ + "-" + from.getFileName());
                try (var tree = Files.walk(from)) {
                    for (Path p : tree.toList()) {
                        Path target = to.resolve(from.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(target);
                            Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
                        } else {
                            Files.copy(p, target);
                            Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                        }
                    }
                }
                entries.add(to.toString());
            }
            Files.setPosixFilePermissions(copy, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            readableClassPath = String.join(java.io.File.pathSeparator, entries);
        }
        return readableClassPath;
    }

    /** Uninstalls, removes the users and group, unmounts and deletes the BPF file system. Idempotent. */
    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or will
        }
        undo();
    }

    private synchronized void undoQuietly() {
        try {
            undo();
        } catch (Exception e) {
            System.err.println("host fixture cleanup: " + e);
        }
    }

    private void undo() throws Exception {
        Exception first = null;
        try {
            HostInstaller.uninstall(dir);
        } catch (Exception e) {
            first = e;
        }
        runQuietly("userdel", member);
        runQuietly("userdel", member2);
        runQuietly("userdel", outsider);
        runQuietly("groupdel", group);
        runQuietly("umount", mountPoint.toString());
        Files.deleteIfExists(mountPoint);
        if (classPathCopy != null) {
            runQuietly("rm", "-rf", classPathCopy.toString());
        }
        if (first != null) {
            throw first;
        }
    }

    private static int uid(String user) throws Exception {
        return Integer.parseInt(run("id", "-u", user).strip());
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip());
        }
        return out;
    }

    private static void runQuietly(String... command) {
        try {
            run(command);
        } catch (Exception e) {
            System.err.println("host fixture cleanup: " + e.getMessage());
        }
    }
}
