package dev.taskshared.testing;

import dev.taskshared.TaskShared;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM by {@code KillNineTest}: starts the library in BPF mode, registers 20
 * threads, prints {@code prog <id>} for each of its BPF programs and {@code ready}, then waits to
 * be killed.
 */
public final class HoldProbe {
    private HoldProbe() {
    }

    public static void main(String[] args) throws Exception {
        TaskShared ts = TaskShared.get();
        CountDownLatch registered = new CountDownLatch(20);
        for (int i = 0; i < 20; i++) {
            Thread.ofPlatform().daemon().start(() -> {
                TaskShared.current();
                registered.countDown();
                Work.sleep(60_000);
            });
        }
        registered.await();
        System.out.println("mode " + ts.mode() + " " + ts.dataPath() + " registered " + ts.registeredThreads());
        ts.bpfProgramInfo().values().forEach(p -> System.out.println("prog " + p.id()));
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
