package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No two files of the repository differ only by case: on a case-insensitive file system (macOS,
 * Windows) one would overwrite the other in a clone. Checks every module's sources, tests and
 * resources, not only this one's.
 */
class SourceNamesTest {
    @Test
    void noTwoSourceFilesDifferOnlyByCase() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assertThat(root.resolve("pom.xml")).as("the repository root is the parent of the module").exists();
        List<String> paths;
        try (Stream<Path> files = Files.walk(root)) {
            paths = files.map(root::relativize).filter(rel -> !excluded(rel)).map(Path::toString).toList();
        }
        assertThat(paths).as("the walk found the sources")
                .contains("taskshared-core/src/test/java/dev/taskshared/SourceNamesTest.java");
        assertThat(collisions(paths)).isEmpty();
    }

    @Test
    void theCheckSeesACollision() {
        assertThat(collisions(List.of("a/TaskStats.java", "a/Taskstats.java", "a/Other.java", "b/TaskStats.java")))
                .containsExactly(List.of("a/TaskStats.java", "a/Taskstats.java"));
    }

    /** Groups of paths that are equal when case is folded. */
    static List<List<String>> collisions(List<String> paths) {
        Map<String, List<String>> byFolded = new TreeMap<>();
        for (String rel : paths) {
            byFolded.computeIfAbsent(rel.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(rel);
        }
        return byFolded.values().stream().filter(l -> l.size() > 1).toList();
    }

    /** Build output, VCS data and hidden directories are not part of a clone's sources. */
    private static boolean excluded(Path rel) {
        for (Path part : rel) {
            String s = part.toString();
            if (s.equals("target") || (s.startsWith(".") && s.length() > 1)) {
                return true;
            }
        }
        return false;
    }
}
