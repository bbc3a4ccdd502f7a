package dev.taskshared.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The per-architecture table against excerpts of the kernel's uapi headers (Debian linux-libc-dev
 * for amd64 and arm64, under test resources platform/), and the live values of this machine.
 */
class PlatformTest {
    private static final Pattern DEFINE = Pattern.compile("#define\\s+(\\w+)\\s+(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\\b");

    private static Map<String, Long> defines(String resource) throws IOException {
        try (InputStream in = PlatformTest.class.getResourceAsStream("/platform/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            Map<String, Long> out = new HashMap<>();
            Matcher m = DEFINE.matcher(text);
            while (m.find()) {
                out.put(m.group(1), Long.decode(m.group(2)));
            }
            return out;
        }
    }

    private static void assertMatchesHeaders(Platform p, Map<String, Long> h) {
        Platform.Syscalls s = p.syscalls();
        assertThat(s.bpf()).isEqualTo(h.get("__NR_bpf"));
        assertThat(s.epollCreate1()).isEqualTo(h.get("__NR_epoll_create1"));
        assertThat(s.epollCtl()).isEqualTo(h.get("__NR_epoll_ctl"));
        assertThat(s.epollPwait()).isEqualTo(h.get("__NR_epoll_pwait"));
        assertThat(s.eventfd2()).isEqualTo(h.get("__NR_eventfd2"));
        assertThat(s.rseq()).isEqualTo(h.get("__NR_rseq"));
        assertThat(s.pidfdOpen()).isEqualTo(h.get("__NR_pidfd_open"));
        assertThat(s.getrusage()).isEqualTo(h.get("__NR_getrusage"));
        assertThat((long) p.oNofollow()).isEqualTo(h.get("O_NOFOLLOW"));
    }

    @Test
    void x86_64MatchesItsHeaders() throws IOException {
        assertMatchesHeaders(Platform.X86_64, defines("x86_64-uapi.h"));
        assertThat(Platform.X86_64.epollEventSize()).isEqualTo(12); // EPOLL_PACKED
        assertThat(Platform.X86_64.epollEventDataOffset()).isEqualTo(4);
        assertThat(Platform.X86_64.rseqSignature()).isEqualTo(0x53053053);
    }

    @Test
    void aarch64MatchesItsHeaders() throws IOException {
        assertMatchesHeaders(Platform.AARCH64, defines("aarch64-uapi.h"));
        assertThat(Platform.AARCH64.epollEventSize()).isEqualTo(16); // natural alignment of the u64
        assertThat(Platform.AARCH64.epollEventDataOffset()).isEqualTo(8);
        assertThat(Platform.AARCH64.rseqSignature()).isEqualTo(0xd428bc00); // glibc's RSEQ_SIG, little-endian
    }

    @Test
    void osArchNamesMapToTheirTable() {
        assertThat(Platform.forArch("amd64")).isSameAs(Platform.X86_64);
        assertThat(Platform.forArch("x86_64")).isSameAs(Platform.X86_64);
        assertThat(Platform.forArch("aarch64")).isSameAs(Platform.AARCH64);
        assertThat(Platform.forArch("riscv64")).isNull();
        assertThat(Platform.forArch("ppc64le")).isNull();
    }

    /** Where the build host's own headers are installed, they agree with the table too. */
    @Test
    void thisMachineIsSupportedAndAgreesWithItsInstalledHeaders() throws IOException {
        Platform p = Platform.current();
        assertThat(Platform.unsupportedReason()).isEmpty();
        assertThat(p).isSameAs(Platform.forArch(System.getProperty("os.arch")));
        Path unistd = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
        if (p == Platform.X86_64 && Files.isReadable(unistd)) {
            Map<String, Long> h = new HashMap<>();
            Matcher m = DEFINE.matcher(Files.readString(unistd));
            while (m.find()) {
                h.put(m.group(1), Long.decode(m.group(2)));
            }
            h.put("O_NOFOLLOW", (long) Platform.X86_64.oNofollow()); // not in unistd
            assertMatchesHeaders(p, h);
        }
    }

    /** The page size the library uses is the kernel's, as /proc/self/smaps states it for our mappings. */
    @Test
    void pageSizeIsTheKernels() throws IOException {
        String smaps = Files.readString(Path.of("/proc/self/smaps"));
        Matcher m = Pattern.compile("KernelPageSize:\\s+(\\d+) kB").matcher(smaps);
        assertThat(m.find()).isTrue();
        long kernelPageBytes = Long.parseLong(m.group(1)) * 1024;
        assertThat(Platform.pageSize()).isEqualTo(kernelPageBytes).isPositive();
        assertThat(Long.bitCount(Platform.pageSize())).isEqualTo(1);
    }

    /** The numbers work: an epoll instance sees an eventfd become readable (epoll_pwait, packed event). */
    @Test
    void epollAndEventfdNumbersWorkHere() {
        try (Epoll epoll = Epoll.create(); EventFd e = new EventFd()) {
            epoll.addReadable(e.fd());
            assertThat(epoll.await(0)).isZero();
            e.signal();
            assertThat(epoll.await(1000)).isEqualTo(1);
        }
    }
}
