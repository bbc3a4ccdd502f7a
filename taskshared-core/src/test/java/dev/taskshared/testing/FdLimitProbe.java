package dev.taskshared.testing;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.publisher.DescriptorLimitException;
import dev.taskshared.sys.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run in a child JVM under a low RLIMIT_NOFILE (prlimit): registers threads in sampling mode
 * with a descriptor margin of 64 until a registration is refused, then shows the application can
 * still open files and the sampler still runs. Prints {@code limit <soft>}, {@code registered <n>},
 * {@code refused <message>}, {@code opened <n>}, {@code passes <before> <after>}.
 */
public final class FdLimitProbe {
    private FdLimitProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("limit " + Libc.getrlimit(Libc.RLIMIT_NOFILE).soft());
        List<Thread> threads = new ArrayList<>();
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).sampleInterval(Duration.ofMillis(10)).descriptorMargin(64).build()) {
            AtomicReference<Throwable> refused = new AtomicReference<>();
            for (int i = 0; i < 100_000 && refused.get() == null; i++) {
                CountDownLatch tried = new CountDownLatch(1);
                Thread t = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        ts.currentThread();
                    } catch (Throwable e) {
                        refused.set(e);
                    }
                    tried.countDown();
                    Work.sleep(60_000);
                });
                threads.add(t);
                tried.await();
            }
            System.out.println("registered " + ts.registeredThreads());
            Throwable e = refused.get();
            System.out.println("refused " + (e instanceof DescriptorLimitException ? "" : e.getClass().getName() + ": ") + e.getMessage());
            // the application's own files still open: the margin was left to it
            List<InputStream> open = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) {
                    open.add(Files.newInputStream(Path.of("/proc/self/stat")));
                }
            } catch (Exception failure) {
                System.out.println("open failed: " + failure);
            }
            System.out.println("opened " + open.size());
            for (InputStream in : open) {
                in.close();
            }
            long before = ts.samplePasses();
            long end = System.nanoTime() + 20_000_000_000L; // the period may be long: 1% of a core for ~300 threads
            while (ts.samplePasses() == before && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            System.out.println("passes " + before + " " + ts.samplePasses());
        }
        threads.forEach(Thread::interrupt);
        System.out.flush();
        System.exit(0);
    }
}
