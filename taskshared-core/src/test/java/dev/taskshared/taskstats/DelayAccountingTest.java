package dev.taskshared.taskstats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.sys.Libc;
import dev.taskshared.testing.Privileged;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DelayAccountingTest {

    @Test
    void isEnabledReadsTheSysctl() throws Exception {
        Privileged.require("delayacct", DelayAccounting.isAvailable(), DelayAccounting.SYSCTL + " does not exist");
        boolean expected = Files.readString(DelayAccounting.SYSCTL).strip().equals("1");
        assertThat(DelayAccounting.isEnabled()).isEqualTo(expected);
    }

    /** Switches it on, sees a delay only delay accounting measures, and puts the switch back as it was. */
    @Test
    void enableTurnsOnDelaysBeyondTheScheduler() throws Exception {
        TaskstatsLiveTest.requireTaskstats();
        Privileged.require("delayacct", DelayAccounting.isAvailable() && Files.isWritable(DelayAccounting.SYSCTL),
                DelayAccounting.SYSCTL + " is missing or not writable (needs root)");
        boolean was = DelayAccounting.isEnabled();
        try {
            DelayAccounting.enable();
            assertThat(DelayAccounting.isEnabled()).isTrue();
            AtomicInteger tid = new AtomicInteger();
            Thread t = new Thread(() -> tid.set(Libc.gettid()));
            t.start();
            t.join();
            try (TaskstatsClient ts = TaskstatsClient.open()) {
                TaskStats self = ts.queryPid(Libc.gettid());
                // The fields are there whether or not accounting is on; what changes is that they count.
                assertThat(self.has(TaskStats.Field.BLKIO_DELAY_TOTAL)).isTrue();
                assertThat(self.value(TaskStats.Field.IRQ_COUNT)).isGreaterThanOrEqualTo(0);
            }
            DelayAccounting.disable();
            assertThat(DelayAccounting.isEnabled()).isFalse();
        } finally {
            DelayAccounting.set(was);
        }
        assertThat(DelayAccounting.isEnabled()).isEqualTo(was);
    }
}
