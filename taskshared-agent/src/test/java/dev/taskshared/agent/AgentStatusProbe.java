package dev.taskshared.agent;

import dev.taskshared.vthread.VirtualThreads;

/** Prints whether the agent is active in this JVM, after running a virtual thread (for a child JVM). */
public final class AgentStatusProbe {
    private AgentStatusProbe() {
    }

    public static void main(String[] args) throws Exception {
        int[] ran = {0};
        Thread.ofVirtual().start(() -> ran[0] = 42).join();
        System.out.println("ran=" + ran[0] + " active=" + VirtualThreads.isActive() + " status=" + VirtualThreads.status());
    }
}
