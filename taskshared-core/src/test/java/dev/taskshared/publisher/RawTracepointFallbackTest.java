package dev.taskshared.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.taskshared.Mode;
import dev.taskshared.StatsSnapshot;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.region.Region;
import dev.taskshared.region.SlotWriter;
import dev.taskshared.sys.Libc;
import dev.taskshared.testing.Kernel;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.Work;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The fallback publisher, on plain raw tracepoints with bpf_probe_read_kernel, for kernels whose
 * verifier will not take the BTF-typed programs: the same numbers, within the same tolerances as
 * {@link BpfPublisherTest} (1% + 2 ms of schedstat for a blocked thread, pcount within 3).
 */
class RawTracepointFallbackTest {

    @Test
    void rawTracepointProgramsPublishTheKernelsNumbers() throws Exception {
        Privileged.require("bpf", Btf.vmlinuxAvailable(), "no /sys/kernel/btf/vmlinux");
        try (BpfPublisher p = BpfPublisher.startRaw();
             Region region = Region.create("taskshared-test", Mode.BPF.code(), Libc.getpid(), System.nanoTime(), 0,
                     new long[] {p.features()})) {
            assertThat(p.btfTyped()).isFalse();
            assertThat(p.description()).contains("raw tracepoints");
            Publisher.Page page = p.newPage(0, region);
            region.addPage(page.memory(), page.tableEntry());
            MemorySegment slot = region.slot(0);
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            int[] tid = new int[1];
            ProcTask[] task = new ProcTask[1];
            Thread t = Thread.ofPlatform().start(() -> {
                tid[0] = Libc.gettid();
                SlotWriter.claim(slot, tid[0], System.nanoTime());
                task[0] = ProcTask.open(Libc.getpid(), tid[0]);
                p.register(Libc.getpid(), tid[0], task[0], 0, slot);
                for (int i = 0; i < 10; i++) {
                    Work.burnCpu(5_000_000L);
                    Work.sleep(3);
                }
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            blocked.await();
            Thread.sleep(20);
            StatsSnapshot s = new StatsSnapshot().readSlot(slot);
            long[] k = Kernel.schedstat(tid[0]);
            release.countDown();
            t.join();
            p.unregister(tid[0], task[0], 0, slot);
            task[0].close();

            assertThat(s.sumExecRuntimeNanos()).isCloseTo(k[0], offset(k[0] / 100 + 2_000_000));
            assertThat(s.runDelayNanos()).isCloseTo(k[1], offset(k[1] / 100 + 2_000_000));
            assertThat(s.pcount()).isCloseTo(k[2], offset(3L));
            assertThat(s.offCpuNanos()).as("slept 10 x 3 ms").isGreaterThan(25_000_000L);
            assertThat(s.nvcsw()).isGreaterThanOrEqualTo(10);
        }
    }
}
