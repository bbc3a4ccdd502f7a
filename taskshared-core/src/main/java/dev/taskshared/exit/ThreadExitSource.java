package dev.taskshared.exit;

import java.util.function.Consumer;

/**
 * Something that reports registered threads' exits ({@code TaskShared} does); lets a consumer such
 * as the taskstats exit monitor follow one without depending on the library's top-level API.
 */
@FunctionalInterface
public interface ThreadExitSource {
    /**
     * Calls {@code listener} with every registered thread's exit from now on, on the publisher's
     * thread. Returns a handle that removes the listener.
     */
    AutoCloseable onThreadExit(Consumer<ThreadExit> listener);
}
