package dev.taskshared.vthread;

import dev.taskshared.Feature;
import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.vthread.spi.VirtualThreadMeasures;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The accounting behind the taskshared agent's instrumentation of {@code java.lang.VirtualThread}:
 * the agent calls {@link #activate} once, then the instrumented JDK calls the three hooks at every
 * mount and unmount. Not API: applications use {@link VirtualThreads}.
 *
 * <p>Where the hooks run (JDK 25, checked by the agent before it instruments, and by the hooks):
 * <ul>
 * <li>{@link #beforeMount} at the entry of {@code VirtualThread.mount()}: on the carrier, with
 *     {@code Thread.currentThread()} the carrier. Finds (or registers, once per carrier) the
 *     carrier's handle through its thread-local; may take a lock here (a platform thread).
 * <li>{@link #afterMount} at every return of {@code mount()}: {@code Thread.currentThread()} is
 *     the virtual thread, whose thread-local holds its {@link VirtualThreadStats}; reads the
 *     carrier's slot (loads). Allocates only at a virtual thread's first mount; never blocks.
 * <li>{@link #beforeUnmount} at the entry of {@code VirtualThread.unmount()}: still the virtual
 *     thread; reads the carrier's slot again and its CPU clock (clock_gettime(CLOCK_THREAD_CPUTIME_ID),
 *     one system call: see {@link Carrier} for why) and adds the difference. Never allocates or blocks.
 * </ul>
 * No hook throws: an unexpected error stops the accounting for good (the hooks become no-ops),
 * and {@link VirtualThreads#status()} and every read then say why, rather than report totals that
 * miss time.
 */
public final class MountAccounting {
    private static final ThreadLocal<Carrier> CARRIER = new ThreadLocal<>();
    private static final ThreadLocal<VirtualThreadStats> STATS = new ThreadLocal<>();

    /** Why mounts went unmeasured (indices of {@link #UNMEASURED}). */
    static final int RELEASED = 0;
    static final int SWITCH_IN_MISSED = 1;
    static final int TORN = 2;
    static final int MISSED_SWITCH = 3;
    private static final String[] UNMEASURED_REASONS = {
        "the carrier's registration was released",
        "the carrier's slot said off CPU while it ran (the publisher missed its switch-in)",
        "the carrier's slot was being written for 1000 reads in a row",
        "the publisher missed a switch of the carrier during the mount (switch-ins != the kernel's switch count)",
    };
    private static final AtomicLongArray UNMEASURED = new AtomicLongArray(UNMEASURED_REASONS.length);

    /** Non-null while accounting. */
    private static volatile TaskShared instance;
    private static volatile String status = "the taskshared agent is not loaded: start the JVM with -javaagent:taskshared-agent.jar";
    private static volatile String failure;

    private MountAccounting() {
    }

    /**
     * Starts accounting with {@code taskShared}'s publisher, which must publish off-CPU time,
     * run-queue time and switches at every context switch (BPF mode). Returns null when active,
     * otherwise the reason it is not (and accounting stays off). Call before the JDK is
     * instrumented: it loads and initialises everything the hooks use.
     */
    public static synchronized String activate(TaskShared taskShared) {
        if (instance != null) {
            return null;
        }
        if (taskShared.mode() != Mode.BPF) {
            return refuse("taskshared runs in " + taskShared.mode() + " mode (" + taskShared.modeDescription()
                    + "): carrier numbers are not current at every switch, so per-mount differences would be wrong");
        }
        for (Feature f : new Feature[] {Feature.OFF_CPU, Feature.RUN_DELAY, Feature.NVCSW, Feature.NIVCSW}) {
            if (!taskShared.supports(f)) {
                return refuse("the publisher does not provide " + f);
            }
        }
        // Load and initialise the classes the hooks touch, so that no class loading happens
        // inside a mount transition.
        VirtualThreadStats probe = new VirtualThreadStats(-1);
        probe.snapshot(new VirtualThreadSnapshot());
        Published.hasPending();
        Published.drain();
        ThreadStats own = taskShared.currentThread();
        Carrier probeCarrier = new Carrier(own);
        if (probeCarrier.sample()) {
            probeCarrier.cpuUpperBoundNanos();
        }
        probeCarrier.markExact();
        unmeasured(UNMEASURED_REASONS.length); // out of range: links the counting path, counts nothing
        failure = null;
        status = "active: virtual threads are measured at every mount and unmount (" + taskShared.modeDescription() + ")";
        VirtualThreadMeasures.install(VirtualInterval::applies, VirtualInterval::new);
        instance = taskShared;
        return null;
    }

    /** Records why the agent did not instrument (for {@link VirtualThreads#status()}); returns {@code reason}. */
    public static String refuse(String reason) {
        status = "not active: " + reason;
        return reason;
    }

    /** Stops accounting before any mount was observed (the agent could not instrument after all). */
    public static synchronized void deactivate(String reason) {
        instance = null;
        refuse(reason);
    }

    static boolean isActive() {
        return instance != null;
    }

    static String status() {
        String f = failure;
        return f != null ? "stopped after an error: " + f : status;
    }

    static void checkHealthy() {
        String f = failure;
        if (f != null) {
            throw new IllegalStateException("virtual-thread accounting stopped after an error, totals are incomplete: " + f);
        }
    }

    /** The calling virtual thread's stats, or null (not virtual, never mounted under the agent). */
    static VirtualThreadStats currentStats() {
        return STATS.get();
    }

    // ---- hooks: called by the instrumented JDK through the agent's bridge; never throw

    /** Entry of {@code VirtualThread.mount()}: the carrier thread is current. Returns the carrier token or null. */
    public static Object beforeMount(Thread vthread) {
        TaskShared ts = instance;
        if (ts == null) {
            return null;
        }
        try {
            if (Thread.currentThread().isVirtual()) {
                fail("VirtualThread.mount() began on a virtual thread, not a carrier: the JDK's mount sequence differs from JDK 25's", null);
                return null;
            }
            if (Published.hasPending()) {
                Published.drain();
            }
            Carrier c = CARRIER.get();
            if (c == null || c.stats.isReleased()) {
                c = new Carrier(ts.currentThread());
                CARRIER.set(c);
            }
            return c;
        } catch (Throwable t) {
            fail("mount entry", t);
            return null;
        }
    }

    /** Every return of {@code VirtualThread.mount()}: the virtual thread is current. */
    public static void afterMount(Object carrierToken) {
        if (!(carrierToken instanceof Carrier c) || instance == null) {
            return;
        }
        try {
            Thread vthread = Thread.currentThread();
            VirtualThreadStats s = STATS.get();
            if (s == null) {
                if (!vthread.isVirtual()) {
                    fail("VirtualThread.mount() returned with a platform thread current: the JDK's mount sequence differs from JDK 25's", null);
                    return;
                }
                s = new VirtualThreadStats(vthread.threadId());
                STATS.set(s);
                Published.push(vthread, s);
            }
            s.mounted(c);
        } catch (Throwable t) {
            fail("mount exit", t);
        }
    }

    /** Entry of {@code VirtualThread.unmount()}: the virtual thread is still current. */
    public static void beforeUnmount() {
        if (instance == null) {
            return;
        }
        try {
            VirtualThreadStats s = STATS.get();
            if (s != null) {
                s.unmounting();
            }
        } catch (Throwable t) {
            fail("unmount entry", t);
        }
    }

    /** Counts an unmeasured mount by reason (rare: not on the normal path). */
    static void unmeasured(int reason) {
        if (reason >= 0 && reason < UNMEASURED_REASONS.length) {
            UNMEASURED.incrementAndGet(reason);
        }
    }

    /**
     * Mounts that could not be measured in this JVM so far, by reason (reasons with none left out),
     * e.g. {@code "{}"}; for diagnostics and tests. Not API.
     */
    public static String unmeasuredByReason() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < UNMEASURED_REASONS.length; i++) {
            long n = UNMEASURED.get(i);
            if (n > 0) {
                b.append(b.length() > 1 ? ", " : "").append(UNMEASURED_REASONS[i]).append(": ").append(n);
            }
        }
        return b.append('}').toString();
    }

    private static void fail(String where, Throwable t) {
        if (failure == null) {
            failure = where + (t == null ? "" : ": " + t);
        }
        instance = null;
    }
}
