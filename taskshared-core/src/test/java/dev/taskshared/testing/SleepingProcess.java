package dev.taskshared.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process of another program that used some user-mode CPU (a shell loop) and now sleeps in
 * {@code sleep 60}: its one thread's utime, stime and switch counts stay put while a test looks.
 * Close kills it.
 */
public final class SleepingProcess implements AutoCloseable {
    private final Process process;

    private SleepingProcess(Process process) {
        this.process = process;
    }

    /** Starts it and waits (up to 10 s) until it sleeps in {@code sleep}. */
    public static SleepingProcess start() throws IOException, InterruptedException {
        SleepingProcess p = new SleepingProcess(new ProcessBuilder("sh", "-c",
                "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exec sleep 60").start());
        try {
            p.awaitSleeping();
            return p;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            p.close();
            throw e;
        }
    }

    /** Its pid, which is its one thread's tid. */
    public int pid() {
        return (int) process.pid();
    }

    private void awaitSleeping() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
            int close = stat.lastIndexOf(')');
            if (stat.substring(stat.indexOf('(') + 1, close).equals("sleep") && stat.charAt(close + 2) == 'S') {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("process " + pid() + " did not come to sleep in sleep(1)");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }
}
