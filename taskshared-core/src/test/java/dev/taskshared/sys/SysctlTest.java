package dev.taskshared.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Sysctl reads against the kernel's own files. */
class SysctlTest {
    @Test
    void namesMapToProcSys() {
        assertThat(Sysctl.path("kernel.task_delayacct")).isEqualTo(Path.of("/proc/sys/kernel/task_delayacct"));
        assertThatThrownBy(() -> Sysctl.path("../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sysctl.path("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsTheKernelsValue() throws IOException {
        // pid_max as the kernel reports it, read independently of the helper with one read(2); note that
        // Files.readAllBytes reads it in pieces and sees a truncated value (an integer sysctl answers a
        // read at a non-zero offset with EOF): the reason the helper exists
        byte[] buf = new byte[64];
        int n;
        try (var in = new java.io.FileInputStream("/proc/sys/kernel/pid_max")) {
            n = in.read(buf);
        }
        long pidMax = Long.parseLong(new String(buf, 0, n).strip());
        assertThat(pidMax).isGreaterThan(300); // the kernel's minimum
        assertThat(Sysctl.tryReadLong("kernel.pid_max")).hasValue(pidMax);
        assertThat(Sysctl.read("kernel.osrelease")).isEqualTo(System.getProperty("os.version"));
    }

    @Test
    void aMissingSettingIsEmptyOrNoSuchFile() {
        assertThat(Sysctl.tryRead("kernel.taskshared_no_such_setting")).isEmpty();
        assertThat(Sysctl.tryReadLong("kernel.osrelease")).isEmpty(); // not a number
        assertThatThrownBy(() -> Sysctl.read("kernel.taskshared_no_such_setting")).isInstanceOf(NoSuchFileException.class);
    }
}
