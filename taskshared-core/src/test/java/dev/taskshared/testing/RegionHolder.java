package dev.taskshared.testing;

import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM: starts the default instance, registers one thread named by the first
 * argument, prints {@code region <path> <mode>} and {@code tid <tid>}, then holds until its
 * standard input closes (or it is killed).
 */
public final class RegionHolder {
    private RegionHolder() {
    }

    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "holder";
        TaskShared ts = TaskShared.get();
        CountDownLatch registered = new CountDownLatch(1);
        int[] tid = new int[1];
        Thread t = Thread.ofPlatform().daemon().name(name).start(() -> {
            ThreadStats me = TaskShared.current();
            tid[0] = me.tid();
            registered.countDown();
            while (true) {
                Work.sleep(1000);
            }
        });
        registered.await();
        System.out.println("region " + ts.regionPath() + " " + ts.mode());
        System.out.println("tid " + tid[0]);
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the parent closes our input
        }
        t.interrupt();
    }

    /** Starts a holder JVM with {@code prefix} before the java command (e.g. prlimit), stderr merged into stdout. */
    public static Process start(String threadName, String... prefix) throws java.io.IOException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(prefix));
        cmd.addAll(java.util.List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", ChildJvm.classPath(), RegionHolder.class.getName(), threadName));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Reads the holder's output up to its {@code tid} line; returns the {@code region} line's path. */
    public static String awaitRegion(Process p) throws java.io.IOException {
        java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        String region = null;
        StringBuilder all = new StringBuilder();
        for (String line; (line = r.readLine()) != null; ) {
            all.append(line).append('\n');
            if (line.startsWith("region ")) {
                region = line.split(" ")[1];
            } else if (line.startsWith("tid ")) {
                return region;
            }
        }
        String exit;
        try {
            exit = p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) ? "exit status " + p.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = "interrupted";
        }
        throw new IllegalStateException("the holder ended before registering (" + exit + "):\n" + all);
    }
}
