package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Tests run on the module path, where {@code java.class.path} lacks the library: a child JVM started
 * with {@code -cp} and the {@code java.class.path} property fails with NoClassDefFoundError. Every
 * module's tests take the class path of a child from {@code dev.taskshared.testing.ChildJvm}.
 */
class ChildJvmClassPathTest {

    @Test
    void childJvmsGetTheirClassPathFromChildJvm() throws IOException {
        List<Path> roots = new ArrayList<>();
        try (Stream<Path> modules = Files.list(Path.of(".."))) {
            modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).forEach(roots::add);
        }
        assertThat(roots).as("the scan finds the modules' tests").contains(Path.of("..", "taskshared-core", "src/test/java"));
        List<String> offenders = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    if (f.endsWith(Path.of("dev/taskshared/testing/ChildJvm.java"))) {
                        continue;
                    }
                    if (Files.readString(f).contains("getProperty(\"java.class.path\")")) {
                        offenders.add(f + ": use ChildJvm.classPath()");
                    }
                }
            }
        }
        assertThat(offenders).isEmpty();
    }
}
