package dev.taskshared.region;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a process's region among its open descriptors: the memfd named {@value #DEFAULT_NAME},
 * which /proc/&lt;pid&gt;/fd shows as a link to {@code /memfd:taskshared-region (deleted)}. Only the
 * process itself can put a descriptor in its table, so no other user can plant one; a process
 * may still hold one it did not create (inherited across fork, received over a socket), which
 * is why {@link RegionReader#open(int, PageOpener)} also checks the header's owner pid and start
 * time. Listing another process's descriptors needs the same user or root (ptrace read access).
 */
public final class RegionLocator {
    /** The memfd name of a process's default region. */
    public static final String DEFAULT_NAME = "taskshared-region";
    /** What /proc/&lt;pid&gt;/fd/&lt;n&gt; links to for that memfd. */
    public static final String LINK_TARGET = "/memfd:" + DEFAULT_NAME + " (deleted)";

    private RegionLocator() {
    }

    /**
     * Process {@code pid}'s descriptors that are a default region, as /proc/&lt;pid&gt;/fd/&lt;n&gt; paths;
     * empty when it has none, has exited, or its descriptors may not be listed by this user.
     * Costs one readlink per open descriptor of the process.
     */
    public static List<Path> candidates(int pid) {
        List<Path> found = new ArrayList<>();
        Path dir = Path.of("/proc/" + pid + "/fd");
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir)) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(LINK_TARGET)) {
                        found.add(fd);
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor was closed between the listing and the readlink
                }
            }
        } catch (NoSuchFileException | AccessDeniedException gone) {
            return List.of();
        } catch (IOException e) {
            return List.of(); // for example ESRCH: the process exited while we listed
        }
        return found;
    }

    /** Whether this user may list process {@code pid}'s descriptors (same user, or root). */
    public static boolean canInspect(int pid) {
        return Files.isReadable(Path.of("/proc/" + pid + "/fd"));
    }

    /**
     * The processes this user can see that have a default region (listing every process's
     * descriptors: meant for a command line, not a hot path).
     */
    public static List<Integer> publishingProcesses() throws IOException {
        List<Integer> pids = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                    int pid = Integer.parseInt(name);
                    if (!candidates(pid).isEmpty()) {
                        pids.add(pid);
                    }
                }
            }
        }
        pids.sort(null);
        return pids;
    }
}
