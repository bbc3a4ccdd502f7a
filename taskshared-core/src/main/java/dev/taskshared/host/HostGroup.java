package dev.taskshared.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The group the host publisher's map is given to: a name looked up with {@code getent group}
 * (so NSS sources such as LDAP count), or a numeric gid taken as it is (a Kubernetes node, where
 * pods name their supplementary groups by number and the installer's container has no
 * {@code /etc/group} entry for it).
 */
record HostGroup(String name, int gid) {

    /**
     * Resolves {@code spec}: a gid, or a group name; the default group ({@value HostPins#DEFAULT_GROUP})
     * is created with {@code groupadd --system} when missing.
     *
     * @throws IllegalArgumentException naming what to do when the group does not exist and cannot be created
     */
    public static HostGroup resolve(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("--group must name a group or a gid");
        }
        if (spec.chars().allMatch(Character::isDigit)) {
            int gid = Integer.parseInt(spec);
            return new HostGroup(lookup(spec).map(HostGroup::name).orElse(spec), gid);
        }
        var found = lookup(spec);
        if (found.isPresent()) {
            return found.get();
        }
        if (!spec.equals(HostPins.DEFAULT_GROUP)) {
            throw new IllegalArgumentException("group " + spec + " does not exist: create it (groupadd --system " + spec
                    + ") or pass --group with an existing group or a gid");
        }
        Path groupadd = Path.of("/usr/sbin/groupadd");
        if (!Files.isExecutable(groupadd)) {
            throw new IllegalArgumentException("group " + spec + " does not exist and " + groupadd + " is missing: create the group "
                    + "(for example addgroup -S " + spec + ") or pass --group with an existing group or a gid");
        }
        run(List.of(groupadd.toString(), "--system", spec));
        return lookup(spec).orElseThrow(() -> new IllegalStateException("groupadd --system " + spec + " succeeded but getent does not find it"));
    }

    /** The group named (or numbered) {@code key} by {@code getent group}, or empty. */
    static java.util.Optional<HostGroup> lookup(String key) {
        String out = run(List.of("getent", "group", key), true);
        if (out == null || out.isBlank()) {
            return java.util.Optional.empty();
        }
        String[] f = out.strip().split(":", -1); // name:password:gid:members
        if (f.length < 3) {
            throw new IllegalStateException("getent group " + key + " answered '" + out.strip() + "'");
        }
        return java.util.Optional.of(new HostGroup(f[0], Integer.parseInt(f[2])));
    }

    private static void run(List<String> command) {
        run(command, false);
    }

    /** Runs {@code command}; its output, or null when {@code absentIsNull} and it exits 2 (getent: not found). */
    private static String run(List<String> command, boolean absentIsNull) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 30 s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() == 2 && absentIsNull) {
                return null;
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }
}
