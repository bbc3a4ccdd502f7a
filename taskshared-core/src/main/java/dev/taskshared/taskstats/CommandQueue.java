package dev.taskshared.taskstats;

import dev.taskshared.sys.EventFd;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Work handed to one owner thread that sleeps in {@code poll}: other threads queue a command and
 * signal an eventfd the owner polls beside its sockets; the owner runs the queue each time round.
 * {@link #call} waits for the answer, {@link #post} does not. Thread-safe.
 *
 * <p>Life cycle: {@link #close} asks the owner to stop; the owner calls {@link #stopped} as it
 * ends, runs what is still queued (those commands fail instead of hanging), then
 * {@link #closeWakeup}. Commands after either fail with {@link IllegalStateException}.
 */
final class CommandQueue {
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final EventFd wakeup = new EventFd();
    private final String name;
    private final long timeoutSeconds;
    private volatile Thread owner;
    private volatile boolean closing;
    /** Set by the owner as it ends: later commands fail instead of opening what nobody closes. */
    private volatile boolean stopped;
    private volatile Throwable failure;

    CommandQueue(String name, long timeoutSeconds) {
        this.name = name;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Names the thread that runs the commands; before it starts. */
    void owner(Thread owner) {
        this.owner = owner;
    }

    boolean onOwner() {
        return Thread.currentThread() == owner;
    }

    /** The descriptor the owner polls; readable after a command was queued or close was asked. */
    int wakeupFd() {
        return wakeup.fd();
    }

    /** Makes the wakeup descriptor unreadable again (owner). */
    void drainWakeup() {
        wakeup.drain();
    }

    /** Runs {@code work} on the owner thread and waits for its result; inline when already there. */
    <T> T call(Supplier<T> work) {
        if (onOwner()) {
            return work.get();
        }
        if (closing) {
            throw new IllegalStateException(name + " is closed");
        }
        if (stopped) {
            throw new IllegalStateException(name + " receiver failed: " + failure, failure);
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        post(() -> {
            if (stopped) {
                done.completeExceptionally(new IllegalStateException(name + " is closed"));
                return;
            }
            try {
                done.complete(work.get());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        try {
            return done.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(name + " receiver did not answer within " + timeoutSeconds
                    + " s" + (failure == null ? "" : "; it failed: " + failure), e);
        }
    }

    /** Queues {@code work} for the owner thread and returns at once. */
    void post(Runnable work) {
        commands.add(work);
        wakeup.signal();
    }

    /** Runs every queued command (owner). */
    void runPending() {
        Runnable c;
        while ((c = commands.poll()) != null) {
            c.run();
        }
    }

    /** Asks the owner to stop; later commands fail. */
    void close() {
        closing = true;
        wakeup.signal();
    }

    boolean closing() {
        return closing;
    }

    /** The owner is ending, normally ({@code failure} null) or because {@code failure} was thrown. */
    void stopped(Throwable failure) {
        this.failure = failure;
        this.stopped = true;
    }

    /** Closes the eventfd; after the owner has stopped polling it. Idempotent. */
    void closeWakeup() {
        wakeup.close();
    }
}
