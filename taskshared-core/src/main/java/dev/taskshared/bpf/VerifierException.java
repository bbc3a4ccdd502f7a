package dev.taskshared.bpf;

import dev.taskshared.sys.ErrnoException;
import java.util.List;

/**
 * The kernel refused a program (BPF_PROG_LOAD failed). Carries the errno, the verifier's full log
 * ({@link #log()}, empty when the kernel wrote none, for example on EPERM), the line that says why
 * ({@link #reason()}), and hints on common causes.
 */
public final class VerifierException extends ErrnoException {
    private static final long serialVersionUID = 1L;

    private final String log;
    private final String reason;
    private final List<String> hints;

    VerifierException(String operation, int errno, String log, List<String> hints) {
        this(operation, errno, log, reasonOf(log), hints);
    }

    private VerifierException(String operation, int errno, String log, String reason, List<String> hints) {
        super(operation, errno, detail(reason, hints));
        this.log = log;
        this.reason = reason;
        this.hints = List.copyOf(hints);
    }

    private static String detail(String reason, List<String> hints) {
        StringBuilder sb = new StringBuilder();
        if (!reason.isEmpty()) {
            sb.append(reason);
        }
        for (String h : hints) {
            sb.append(sb.isEmpty() ? "" : "; ").append(h);
        }
        return sb.toString();
    }

    /**
     * The last line of the log that is not a statistics line ("processed N insns ...",
     * "verification time ..."): what the verifier objected to, for example {@code R2 !read_ok}.
     */
    static String reasonOf(String log) {
        String[] lines = log.split("\n");
        for (int k = lines.length - 1; k >= 0; k--) {
            String l = lines[k].strip();
            if (l.isEmpty() || l.startsWith("processed ") || l.startsWith("verification time") || l.startsWith("stack depth")
                    || l.startsWith("-- END PROG LOAD LOG --")) {
                continue;
            }
            return l;
        }
        return "";
    }

    /** The verifier's whole log; empty if none. */
    public String log() {
        return log;
    }

    /** The line saying why the program was refused, or empty. */
    public String reason() {
        return reason;
    }

    /** Hints on likely causes (privilege, memlock, log truncation). */
    public List<String> hints() {
        return hints;
    }
}
