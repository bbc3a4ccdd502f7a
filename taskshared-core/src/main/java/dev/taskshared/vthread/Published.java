package dev.taskshared.vthread;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Makes each virtual thread's {@link VirtualThreadStats} findable by its {@link Thread} from other
 * threads, without a lock or a map operation on the mount path: the first mount pushes the new
 * stats on a lock-free stack (one CAS, no allocation); the next mount hook on any carrier (carrier
 * context, where taking a lock is safe) or the next reader moves them into a weak map. The map
 * holds a stats object as long as its Thread is reachable, so a finished thread's totals stay
 * readable while someone holds the Thread.
 */
final class Published {
    private static final AtomicReference<VirtualThreadStats> PENDING = new AtomicReference<>();
    /** Thread does not override equals/hashCode: identity. Guarded by itself. */
    private static final Map<Thread, VirtualThreadStats> BY_THREAD = new WeakHashMap<>();

    private Published() {
    }

    /** Lock-free; called on the virtual thread during its first mount. */
    static void push(Thread thread, VirtualThreadStats stats) {
        stats.pendingThread = thread;
        VirtualThreadStats head;
        do {
            head = PENDING.get();
            stats.pendingNext = head;
        } while (!PENDING.compareAndSet(head, stats));
    }

    /** One volatile load. */
    static boolean hasPending() {
        return PENDING.get() != null;
    }

    /** Moves pending stats into the map. Takes a lock: not on a virtual thread's mount path. */
    static void drain() {
        VirtualThreadStats s = PENDING.getAndSet(null);
        if (s == null) {
            return;
        }
        synchronized (BY_THREAD) {
            while (s != null) {
                VirtualThreadStats next = s.pendingNext;
                BY_THREAD.put(s.pendingThread, s);
                s.pendingThread = null;
                s.pendingNext = null;
                s = next;
            }
        }
    }

    static VirtualThreadStats of(Thread thread) {
        drain();
        synchronized (BY_THREAD) {
            return BY_THREAD.get(thread);
        }
    }
}
