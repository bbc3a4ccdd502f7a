package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** All FFM linking and unsafe reinterpretation stays in dev.taskshared.sys. */
class FfmConfinementTest {
    private static final Pattern RESTRICTED = Pattern.compile("\\bLinker\\b|\\bSymbolLookup\\b|\\.reinterpret\\(");

    @Test
    void onlyTheSysPackageLinksOrReinterprets() throws IOException {
        Path main = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(main)) {
            List<String> offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.toString().contains("/dev/taskshared/sys/"))
                    .filter(p -> {
                        try {
                            return RESTRICTED.matcher(Files.readString(p)).find();
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    })
                    .map(Path::toString).toList();
            assertThat(offenders).isEmpty();
        }
    }
}
