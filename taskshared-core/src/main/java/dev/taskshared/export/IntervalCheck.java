package dev.taskshared.export;

import dev.taskshared.Feature;
import dev.taskshared.Interval;
import dev.taskshared.Mode;
import dev.taskshared.ThreadStats;

/**
 * What of an {@link Interval} the integrations (JFR, Micrometer, OpenTelemetry) may publish, so
 * that none of them publishes an impossible number. Static, allocation-free, a few loads.
 */
public final class IntervalCheck {
    private IntervalCheck() {
    }

    /**
     * Whether the interval's times may be published: it is {@link Interval#valid() valid} and its
     * numbers are possible (0 &le; CPU &le; wall, 0 &le; off-CPU &le; wall). An interval that fails
     * the second test is a measurement error and is left out rather than published.
     */
    public static boolean consistent(Interval interval) {
        if (!interval.valid()) {
            return false;
        }
        long wall = interval.wallNanos();
        long cpu = interval.cpuNanos();
        long off = interval.offCpuNanos();
        return wall >= 0 && cpu >= 0 && off >= 0 && cpu <= wall && off <= wall;
    }

    /**
     * Whether the interval's run-queue wait and switch counts belong to this operation: only in
     * {@link Mode#BPF}, where they are taken at each context switch. A sampling publisher's counts
     * arrive in lumps at its passes, right on average over many operations but not for one.
     * Also requires the wait to lie within the off-CPU time.
     */
    public static boolean exactWaits(Interval interval) {
        ThreadStats s = interval.stats();
        return s.mode() == Mode.BPF && s.supports(Feature.RUN_DELAY) && s.supports(Feature.PCOUNT)
                && s.supports(Feature.NVCSW) && s.supports(Feature.NIVCSW)
                && interval.runDelayNanos() >= 0 && interval.runDelayNanos() <= interval.offCpuNanos();
    }
}
