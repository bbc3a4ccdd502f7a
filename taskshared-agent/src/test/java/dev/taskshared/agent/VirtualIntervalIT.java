package dev.taskshared.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.Interval;
import dev.taskshared.TaskShared;
import dev.taskshared.sys.Libc;
import dev.taskshared.testing.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Interval on a virtual thread under the agent; the agent's refusal in sampling mode. */
class VirtualIntervalIT {

    private static long spinCpu(long nanos) {
        long c0 = Libc.threadCpuTimeNanos();
        long c;
        do {
            c = Libc.threadCpuTimeNanos();
        } while (c - c0 < nanos);
        return c - c0;
    }

    @Test
    void anIntervalStaysValidAcrossRemountsAndMeasuresTheVirtualThread() throws Exception {
        AgentTesting.requireActiveAgent();
        AtomicReference<String> result = new AtomicReference<>();
        Thread[] vts = new Thread[8]; // more than the 2 carriers, so that remounts change carrier
        for (int i = 0; i < vts.length; i++) {
            vts[i] = Thread.ofVirtual().start(() -> {
                Interval in = TaskShared.current().newInterval();
                for (int round = 0; round < 5; round++) {
                    in.start();
                    long spun = spinCpu(10_000_000);
                    int before = Libc.gettid();
                    try {
                        Thread.sleep(3); // unmounts
                    } catch (InterruptedException e) {
                        return;
                    }
                    int after = Libc.gettid();
                    spun += spinCpu(10_000_000);
                    in.stop();
                    String what = "round " + round + " carriers " + before + "->" + after + ": wall=" + in.wallNanos()
                            + " cpu=" + in.cpuNanos() + " off=" + in.offCpuNanos() + " spun=" + spun;
                    // valid whether or not the carrier changed; CPU within 1 % + 1 ms of the carrier clocks
                    // plus the JDK's work of the one unmount/mount (< 100 µs); the sleep is off CPU
                    boolean ok = in.valid() && in.cpuNanos() >= spun - spun / 100 - 1_000_000
                            && in.cpuNanos() <= spun + spun / 100 + 1_100_000
                            && in.offCpuNanos() >= 3_000_000 && in.cpuNanos() + in.offCpuNanos() == in.wallNanos()
                            && in.runDelayNanos() <= in.offCpuNanos() && in.voluntarySwitches() >= 1;
                    if (!ok) {
                        result.compareAndSet(null, what);
                    }
                }
            });
        }
        for (Thread t : vts) {
            t.join();
        }
        assertThat(result.get()).isNull();
    }

    @Test
    void inSamplingModeTheAgentRefusesClearlyAndTheApplicationRuns() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Dtaskshared.mode=sampling",
                "-javaagent:" + System.getProperty("taskshared.agent.jar"), "-cp", ChildJvm.classPath(),
                AgentStatusProbe.class.getName())).redirectErrorStream(true).start();
        String out;
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("taskshared-agent: virtual threads are not measured: taskshared runs in SAMPLING mode");
        assertThat(out).contains("ran=42 active=false status=not active: taskshared runs in SAMPLING mode");
    }
}
