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
