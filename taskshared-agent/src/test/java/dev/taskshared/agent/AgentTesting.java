package dev.taskshared.agent;

import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.testing.Privileged;
import dev.taskshared.vthread.VirtualThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Helpers of the integration tests, which run in a JVM started with the agent. */
final class AgentTesting {
    private AgentTesting() {
    }

    /** The agent needs BPF mode; in BPF mode it must be active. */
    static void requireActiveAgent() {
        boolean bpf = TaskShared.get().mode() == Mode.BPF;
        Privileged.require("BPF mode (the agent's accounting)", bpf, TaskShared.get().modeDescription());
        if (!VirtualThreads.isActive()) {
            throw new AssertionError("BPF mode, but the agent is not active: " + VirtualThreads.status());
        }
    }

    /** The CPU-time clock of thread {@code tid}: MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED). */
    static int threadCpuClock(int tid) {
        return (~tid << 3) | 6;
    }

    /** /proc/stat counts in USER_HZ ticks (100 per second on Linux): one tick per CPU of rounding. */
    static final long STEAL_RESOLUTION_NANOS = 10_000_000L * Runtime.getRuntime().availableProcessors();

    /**
     * Time the hypervisor stole from all CPUs so far (/proc/stat's "cpu" line, 8th value), in
     * nanoseconds: the kernel's task clock leaves it out, the wall clock does not.
     */
    static long stealNanos() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                return Long.parseLong(f[8]) * 10_000_000L;
            }
        }
        throw new IOException("no cpu line in /proc/stat");
    }

    /** Tids of this process's ForkJoinPool threads (the virtual-thread carriers), by /proc comm. */
    static Map<Integer, Long> carrierCpuNanos() throws IOException {
        Map<Integer, Long> out = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).strip();
                } catch (IOException gone) {
                    continue;
                }
                if (comm.startsWith("ForkJoinPool")) {
                    int tid = Integer.parseInt(t.getFileName().toString());
                    out.put(tid, dev.taskshared.sys.Libc.clockGettimeNanos(threadCpuClock(tid)));
                }
            }
        }
        return out;
    }
}
