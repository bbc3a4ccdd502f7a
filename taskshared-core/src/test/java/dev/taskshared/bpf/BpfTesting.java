package dev.taskshared.bpf;

import dev.taskshared.sys.ErrnoException;
import dev.taskshared.testing.Privileged;

/** Gate for live BPF tests: skips (or fails under TASKSHARED_REQUIRE_PRIVILEGED=1) without BPF. */
final class BpfTesting {
    private static final String REASON = probe();

    private BpfTesting() {
    }

    private static String probe() {
        try (BpfMap ignored = BpfMap.create(MapSpec.array(8, 1))) {
            return null;
        } catch (ErrnoException e) {
            return e.getMessage();
        } catch (Throwable t) {
            return t.toString();
        }
    }

    static void requireBpf() {
        Privileged.require("bpf", REASON == null, REASON);
    }
}
