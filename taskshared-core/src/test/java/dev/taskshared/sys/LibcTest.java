package dev.taskshared.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LibcTest {

    @Test
    void closeQuietlyReallyCloses() throws Exception {
        int fd = Libc.open("/proc/self/stat", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        assertThat(Files.exists(Path.of("/proc/self/fd/" + fd))).isTrue();
        Libc.closeQuietly(fd);
        assertThat(Files.exists(Path.of("/proc/self/fd/" + fd))).isFalse();
    }

    @Test
    void errnoIsNamed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Libc.open("/nonexistent/x", Libc.O_RDONLY, 0))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining("ENOENT")
                .hasMessageContaining("/nonexistent/x")
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.ENOENT));
    }
}
