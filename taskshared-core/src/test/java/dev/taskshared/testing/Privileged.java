package dev.taskshared.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Gate for tests that need privilege (BPF, taskstats). Elsewhere they skip with the reason; where
 * {@code TASKSHARED_REQUIRE_PRIVILEGED=1} is set (our CI, which runs as root with BPF, BTF and
 * taskstats), a missing capability fails the test, so that CI proves they ran.
 */
public final class Privileged {
    public static final String REQUIRE_ENV = "TASKSHARED_REQUIRE_PRIVILEGED";

    private Privileged() {
    }

    public static boolean required() {
        return "1".equals(System.getenv(REQUIRE_ENV));
    }

    /**
     * Continues when {@code available}; otherwise skips with {@code reason}, or fails when
     * privileged tests are required here.
     */
    public static void require(String feature, boolean available, String reason) {
        if (available) {
            return;
        }
        String message = feature + " is not available: " + reason;
        if (required()) {
            fail(message + " (" + REQUIRE_ENV + "=1 makes this a failure)");
        }
        assumeTrue(false, message);
    }

    /**
     * The default-mode instance when it came up in BPF mode; otherwise closes it and skips (or
     * fails where privileged tests are required) with the mode's reason.
     */
    public static dev.taskshared.TaskShared bpfTaskShared() {
        dev.taskshared.TaskShared ts = dev.taskshared.TaskShared.builder().build();
        if (ts.mode() != dev.taskshared.Mode.BPF) {
            String why = ts.modeDescription();
            ts.close();
            require("bpf", false, why);
        }
        return ts;
    }
}
