package dev.taskshared.taskstats;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Native access stays in dev.taskshared.sys: this package frames bytes only. */
class FfmConfinementTest {
    @Test
    void noLinkerLookupOrReinterpretHere() throws IOException {
        Path dir = Path.of("src/main/java/dev/taskshared/taskstats");
        List<String> offenders;
        try (Stream<Path> files = Files.list(dir)) {
            offenders = files.filter(p -> {
                try {
                    String s = Files.readString(p);
                    return s.contains("Linker") || s.contains("SymbolLookup") || s.contains(".reinterpret(");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(Path::toString).toList();
        }
        assertThat(offenders).isEmpty();
    }
}
