package dev.taskshared;

import dev.taskshared.exit.ThreadExit;
import dev.taskshared.publisher.DescriptorLimit;
import dev.taskshared.publisher.ProcTask;
import dev.taskshared.publisher.Publisher;
import dev.taskshared.region.Region;
import dev.taskshared.region.RegionHeader;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.region.SlotWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands out slots (the seed's task_getshared): lowest free slot first, a page of 32 added when
 * none is free, freed slots reused. Reclaims the slots of threads that died without releasing:
 * a reaper reads each registration's kept-open /proc descriptor, which fails with ESRCH once the
 * task is gone, even if its tid was reused; a BPF publisher's exit events free them sooner.
 *
 * <p>Thread-safe: registration, release and reaping are serialised on this object; reads of
 * slots never take the lock.
 */
final class Registry implements AutoCloseable {

    /** One live registration. */
    static final class Registration {
        final int slotIndex;
        final int tid;
        final ProcTask task;
        final WeakReference<Thread> owner;
        final ThreadStats handle;

        Registration(int slotIndex, int tid, ProcTask task, Thread owner, ThreadStats handle) {
            this.slotIndex = slotIndex;
            this.tid = tid;
            this.task = task;
            this.owner = owner == null ? null : new WeakReference<>(owner);
            this.handle = handle;
        }

        boolean ownerDead() {
            if (owner == null) {
                return false;
            }
            Thread t = owner.get();
            return t == null || !t.isAlive();
        }
    }

    private final int pid;
    private final DescriptorLimit descriptorLimit;
    private final Region region;
    private final Publisher publisher;
    private final long features;
    private final BitSet used = new BitSet();
    private final Map<Integer, Registration> byTid = new HashMap<>();
    private final Map<Integer, Registration> bySlot = new HashMap<>();
    private final MemorySegment reapBuffer = Arena.ofAuto().allocate(ProcTask.BUFFER_SIZE);
    private final Thread reaper;
    private final long reapIntervalNanos;
    private volatile boolean closed;
    private long reclaimed;
    private long lost;
    private long reapPasses;
    private final java.util.List<java.util.function.Consumer<ThreadExit>> exitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    Registry(int pid, Region region, Publisher publisher, long features, long reapIntervalNanos, DescriptorLimit descriptorLimit) {
        this.pid = pid;
        this.descriptorLimit = descriptorLimit;
        this.region = region;
        this.publisher = publisher;
        this.features = features;
        this.reapIntervalNanos = reapIntervalNanos;
        this.reaper = Thread.ofPlatform().daemon().name("taskshared-reaper").unstarted(this::reapLoop);
        reaper.start();
        publisher.setExitSink(this::exited);
    }

    /** A publisher saw a registered thread exit: free its slot now rather than at the next reap. */
    private void exited(ThreadExit e) {
        synchronized (this) {
            Registration r = bySlot.get(e.slot());
            // Only if that registration's thread is gone: the slot may already serve a new thread
            // (even one with the same tid) whose registration must stay.
            if (r != null && !publisher.alive(r.task, r.slotIndex, region.slot(r.slotIndex), reapBuffer)) {
                if (r.tid != e.tid()) { // a PID namespace: the program saw the host's tid
                    e = e.withTid(r.tid);
                }
                free(r);
                reclaimed++;
            }
        }
        for (java.util.function.Consumer<ThreadExit> l : exitListeners) {
            try {
                l.accept(e);
            } catch (RuntimeException failure) {
                System.getLogger("dev.taskshared").log(System.Logger.Level.WARNING, "thread exit listener failed", failure);
            }
        }
    }

    /** Adds a listener of registered threads' exits, called after the slot is freed; returns its remover. */
    AutoCloseable addExitListener(java.util.function.Consumer<ThreadExit> listener) {
        exitListeners.add(listener);
        return () -> exitListeners.remove(listener);
    }

    Publisher publisher() {
        return publisher;
    }

    /**
     * Registers thread {@code tid} of this process, or returns its live registration.
     *
     * @param owner the Java thread the tid belongs to, when known (platform threads); a new
     *     owner for a tid whose old owner died reclaims the old slot first (tid reuse)
     * @param rseq the owner's rseq area for the current CPU, or null
     */
    synchronized ThreadStats register(int tid, Thread owner, MemorySegment rseq) {
        if (closed) {
            throw new IllegalStateException("TaskShared is closed");
        }
        Registration existing = byTid.get(tid);
        if (existing != null) {
            Thread previous = existing.owner == null ? null : existing.owner.get();
            if (!existing.ownerDead() && (owner == null || previous == owner)
                    && publisher.alive(existing.task, existing.slotIndex, region.slot(existing.slotIndex), reapBuffer)) {
                return existing.handle;
            }
            free(existing); // the tid was reused by a new thread after the old one died
        }
        int slotIndex = used.nextClearBit(0);
        if (slotIndex >= RegionHeader.MAX_PAGES * SlotLayout.SLOTS_PER_PAGE) {
            throw new IllegalStateException("region full: " + registeredCount() + " threads registered, the limit of one region is "
                    + RegionHeader.MAX_PAGES * SlotLayout.SLOTS_PER_PAGE + " (" + RegionHeader.MAX_PAGES + " pages of "
                    + SlotLayout.SLOTS_PER_PAGE + " slots)");
        }
        if (slotIndex >= region.pageCount() * SlotLayout.SLOTS_PER_PAGE) {
            int page = region.pageCount();
            Publisher.Page memory = publisher.newPage(page, region);
            region.addPage(memory.memory(), memory.tableEntry());
        }
        ProcTask task = publisher.needsProcTask() ? ProcTask.open(pid, tid, descriptorLimit) : null;
        MemorySegment slot = region.slot(slotIndex);
        SlotWriter.claim(slot, tid, System.nanoTime());
        int generation = slot.get(java.lang.foreign.ValueLayout.JAVA_INT, SlotLayout.GENERATION);
        try {
            publisher.register(pid, tid, task, slotIndex, slot);
        } catch (RuntimeException e) {
            SlotWriter.free(slot);
            if (task != null) {
                task.close();
            }
            throw e;
        }
        used.set(slotIndex);
        ThreadStats handle = new ThreadStats(this, slot, slotIndex, tid, generation, owner, rseq, features, Mode.of(publisher.kind()));
        Registration r = new Registration(slotIndex, tid, task, owner, handle);
        byTid.put(tid, r);
        bySlot.put(slotIndex, r);
        return handle;
    }

    /** Releases the registration behind {@code handle}, if it is still live. */
    synchronized void release(ThreadStats handle) {
        Registration r = bySlot.get(handle.slotIndex());
        if (r != null && r.handle == handle) {
            free(r);
        }
    }

    /** Releases thread {@code tid}'s registration, if any (an exit seen by a publisher). */
    synchronized boolean releaseTid(int tid) {
        Registration r = byTid.get(tid);
        if (r == null) {
            return false;
        }
        free(r);
        return true;
    }

    private void free(Registration r) {
        free(r, null);
    }

    /** Frees {@code r}; {@code lostReason} non-null: its registration was taken away, and its handle says so. */
    private void free(Registration r, String lostReason) {
        MemorySegment slot = region.slot(r.slotIndex);
        publisher.unregister(r.tid, r.task, r.slotIndex, slot);
        r.handle.markReleased(lostReason);
        SlotWriter.free(slot);
        if (r.task != null) {
            r.task.close();
        }
        used.clear(r.slotIndex);
        byTid.remove(r.tid, r);
        bySlot.remove(r.slotIndex, r);
    }

    synchronized int registeredCount() {
        return byTid.size();
    }

    synchronized int slotCapacity() {
        return region.pageCount() * SlotLayout.SLOTS_PER_PAGE;
    }

    /** Slots reclaimed from threads that died without releasing, since start. */
    synchronized long reclaimedCount() {
        return reclaimed;
    }

    /** Registrations released because a publisher found them taken away ({@link Publisher#lostReason}). */
    synchronized long lostCount() {
        return lost;
    }

    /** Frees the slots of dead threads now; returns how many. Also runs periodically. */
    synchronized int reapNow() {
        return reap(true);
    }

    /** One pass; {@code thorough}: every publisher check now, else the periodic pass's cheaper one. */
    private synchronized int reap(boolean thorough) {
        List<Registration> dead = new ArrayList<>();
        for (Registration r : byTid.values()) {
            // Only the kernel's word counts: a Java thread is "dead" a little before its task
            // exits, and freeing the slot then would hide the exit from a BPF publisher. On the
            // task-storage path that word is the slot's state (loads only, no /proc read).
            MemorySegment slot = region.slot(r.slotIndex);
            if (thorough ? !publisher.alive(r.task, r.slotIndex, slot, reapBuffer)
                    : !publisher.aliveAtReap(r.task, slot, r.slotIndex, reapPasses, reapBuffer)) {
                dead.add(r);
            }
        }
        reapPasses++;
        for (Registration r : dead) {
            String lostReason = publisher.lostReason(r.slotIndex);
            free(r, lostReason);
            if (lostReason != null) {
                lost++;
            } else {
                reclaimed++;
            }
        }
        return dead.size();
    }

    private void reapLoop() {
        while (!closed) {
            LockSupport.parkNanos(this, reapIntervalNanos);
            if (!closed) {
                reap(false);
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (Registration r : new ArrayList<>(byTid.values())) {
                free(r);
            }
        }
        LockSupport.unpark(reaper);
        try {
            reaper.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The live registrations' handles, in no particular order: a copy, for monitors and metrics. */
    synchronized List<ThreadStats> handles() {
        List<ThreadStats> out = new ArrayList<>(byTid.size());
        for (Registration r : byTid.values()) {
            out.add(r.handle);
        }
        return out;
    }
}
