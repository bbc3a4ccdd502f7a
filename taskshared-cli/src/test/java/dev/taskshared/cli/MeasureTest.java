package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The demo's per-operation measure: exact totals, HdrHistogram quantiles within 0.1%. */
class MeasureTest {
    @Test
    void totalsAreExactAndQuantilesWithinATenthOfAPercent() {
        DemoWorkload.Measure a = new DemoWorkload.Measure();
        DemoWorkload.Measure b = new DemoWorkload.Measure();
        long sum = 0;
        for (long v = 1; v <= 100_000; v++) {
            long nanos = v * 1_000 + 7; // 1 µs .. 100 ms
            (v % 2 == 0 ? a : b).record(nanos);
            sum += nanos;
        }
        a.record(-5); // counts as 0
        a.merge(b);
        assertThat(a.count()).isEqualTo(100_001);
        assertThat(a.sum()).isEqualTo(sum);
        assertThat(a.max()).isEqualTo(100_000_007L);
        assertThat(a.mean()).isCloseTo((double) sum / 100_001, within(1e-6));
        long exactP99 = 99_000L * 1_000 + 7; // rank ceil(0.99 * 100001) = 99001 -> the 99000th positive value
        assertThat((double) a.quantile(0.99)).isCloseTo(exactP99, within(exactP99 * 0.001));
        assertThat(a.quantile(1.0)).isEqualTo(a.max());
        assertThat(new DemoWorkload.Measure().quantile(0.99)).isZero();
    }
}
