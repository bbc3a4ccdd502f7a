package dev.taskshared.bpf;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel objects one owner holds (maps, programs, links, pins' descriptors), closed together
 * in the reverse order of acquisition, so that a link goes before its program and a program
 * before its maps. A failing close is logged and the others still close. Not thread-safe.
 */
public final class Owned implements AutoCloseable {
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Adds {@code resource} to what {@link #close()} closes; returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Closes everything added, newest first. Idempotent. */
    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.getLogger("dev.taskshared").log(System.Logger.Level.WARNING, "closing a BPF object", e);
            }
        }
        resources.clear();
    }
}
