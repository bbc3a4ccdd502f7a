package dev.taskshared.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessMonitorTest {

    @Test
    void watchesAProcessThatDoesNotUseTheLibrary() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try (ProcessMonitor m = ProcessMonitor.open((int) sleeper.pid(), Mode.SAMPLING)) {
            assertThat(m.mode()).isEqualTo(Mode.SAMPLING);
            Thread.sleep(30);
            List<ThreadSample> threads = m.sample();
            assertThat(threads).hasSize(1);
            ThreadSample t = threads.get(0);
            assertThat(t.tid()).isEqualTo((int) sleeper.pid());
            assertThat(t.name()).isEqualTo("sleep");
            assertThat(t.pcount()).isGreaterThanOrEqualTo(1);
            assertThat(t.offCpuNanos()).as("not observable by sampling").isEqualTo(-1);
        } finally {
            sleeper.destroy();
            sleeper.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void readsAProcessesOwnRegion() throws Exception {
        TaskShared ts = TaskShared.get(); // the default instance publishes its memfd region
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        int[] tid = new int[1];
        Thread t = Thread.ofPlatform().name("monitored").start(() -> {
            ThreadStats me = TaskShared.current();
            tid[0] = me.tid();
            registered.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            me.release();
        });
        registered.await();
        try (ProcessMonitor m = ProcessMonitor.open(ts.pid(), null)) {
            assertThat(m.source()).contains(ts.regionPath().toString());
            assertThat(TaskShared.findRegion(ts.pid())).contains(ts.regionPath());
            assertThat(m.mode()).isEqualTo(ts.mode());
            assertThat(m.sample()).extracting(ThreadSample::tid).contains(tid[0]);
            assertThat(m.sample()).filteredOn(s -> s.tid() == tid[0]).extracting(ThreadSample::name).containsExactly("monitored");
        } finally {
            done.countDown();
            t.join();
        }
    }

    @Test
    void noSuchProcessIsAClearError() {
        assertThatThrownBy(() -> ProcessMonitor.open(Integer.MAX_VALUE - 1, Mode.SAMPLING))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no process");
    }
}
