package dev.taskshared.bpf;

import dev.taskshared.sys.Errno;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Sysctl;
import java.util.ArrayList;
import java.util.List;

/** Turns a failed bpf(2) call into an {@link ErrnoException} with hints on the likely cause. */
final class BpfErrors {
    private BpfErrors() {
    }

    static ErrnoException of(String op, int errno) {
        List<String> hints = hints(errno);
        return new ErrnoException(op, errno, hints.isEmpty() ? null : String.join("; ", hints));
    }

    static List<String> hints(int errno) {
        List<String> hints = new ArrayList<>();
        if (errno == Errno.EPERM || errno == Errno.EACCES) {
            hints.add("needs CAP_BPF, plus CAP_PERFMON for tracing programs (or root / CAP_SYS_ADMIN)");
            String unpriv = Sysctl.tryRead("kernel.unprivileged_bpf_disabled").orElse(null);
            if (unpriv != null && !unpriv.equals("0")) {
                hints.add("kernel.unprivileged_bpf_disabled=" + unpriv);
            }
            hints.add("kernels before 5.11 also charge RLIMIT_MEMLOCK (ulimit -l)");
        } else if (errno == Errno.ENOMEM) {
            hints.add("out of memory, or RLIMIT_MEMLOCK too low on kernels before 5.11");
        } else if (errno == Errno.E2BIG) {
            hints.add("too large (program too long, or attr fields this kernel does not know are non-zero)");
        }
        return hints;
    }

}
