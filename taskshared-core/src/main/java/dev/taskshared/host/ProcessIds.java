package dev.taskshared.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This process's effective uid and gid and supplementary groups, from /proc/self/status
 * ({@code Uid:}, {@code Gid:} and {@code Groups:} lines: real, effective, saved, fs), for saying
 * why a pin cannot be opened.
 */
record ProcessIds(int uid, int gid, List<Integer> groups) {

    static ProcessIds current() {
        int uid = -1;
        int gid = -1;
        List<Integer> groups = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                String[] f = line.split("\\s+");
                switch (f[0]) {
                    case "Uid:" -> uid = Integer.parseInt(f[2]);
                    case "Gid:" -> gid = Integer.parseInt(f[2]);
                    case "Groups:" -> {
                        for (int i = 1; i < f.length; i++) {
                            groups.add(Integer.parseInt(f[i]));
                        }
                    }
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: callers print -1
        }
        return new ProcessIds(uid, gid, List.copyOf(groups));
    }

    boolean inGroup(int g) {
        return gid == g || groups.contains(g);
    }

    boolean root() {
        return uid == 0;
    }
}
