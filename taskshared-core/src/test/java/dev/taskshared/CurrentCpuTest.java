package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.sys.Libc;
import dev.taskshared.sys.Rseq;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The current CPU comes from the rseq area and equals sched_getcpu(). */
class CurrentCpuTest {

    @Test
    void glibcRegisteredRseqHere() {
        // glibc 2.36 on this machine registers rseq for every thread; elsewhere we register our own.
        assertThat(Rseq.registeredByGlibc()).isTrue();
        assertThat(Rseq.glibcSize()).isGreaterThanOrEqualTo(20);
    }

    @Test
    void rseqCpuEqualsSchedGetcpuOnEveryCpu() throws Exception {
        int[] cpus = Libc.getAffinity(0);
        List<String> mismatches = new ArrayList<>();
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build()) {
            for (int cpu : cpus) {
                Thread t = Thread.ofPlatform().start(() -> {
                    Libc.setAffinity(0, cpu);
                    ThreadStats me = ts.currentThread();
                    for (int i = 0; i < 10_000; i++) {
                        int ours = me.cpu();
                        int libc = Libc.schedGetcpu();
                        if (ours != libc || ours != cpu) {
                            synchronized (mismatches) {
                                mismatches.add("pinned " + cpu + ": rseq " + ours + ", sched_getcpu " + libc);
                            }
                            break;
                        }
                    }
                });
                t.join();
            }
        }
        assertThat(mismatches).isEmpty();
    }
}
