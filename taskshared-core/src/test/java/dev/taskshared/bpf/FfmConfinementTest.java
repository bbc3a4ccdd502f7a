package dev.taskshared.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** STYLE item 5: the BPF toolkit reaches native code only through {@code dev.taskshared.sys}. */
class FfmConfinementTest {
    @Test
    void noLinkerSymbolLookupOrReinterpretOutsideSys() throws IOException {
        Path root = Path.of("src/main/java/dev/taskshared/bpf");
        List<String> offenders;
        try (Stream<Path> files = Files.walk(root)) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
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
