package dev.taskshared.taskstats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts what CPU sockets lost: each receive-buffer overflow (ENOBUFS) and the records the kernel
 * dropped (SO_MEMINFO's drop count, read at the overflow and again once the queue drains, since
 * drops go on until then). Written by the receiver thread; the counts are read by anyone.
 */
final class OverrunAccounting {
    private final AtomicLongArray overruns;
    private final AtomicLongArray dropped;

    OverrunAccounting(int cpus) {
        this.overruns = new AtomicLongArray(cpus);
        this.dropped = new AtomicLongArray(cpus);
    }

    /** An ENOBUFS was read on {@code s}: the overrun to report, or null when no new drop shows yet. */
    Overrun overflowed(CpuSocket s) {
        overruns.incrementAndGet(s.cpu);
        s.overrunSeen = true;
        return refresh(s);
    }

    /** {@code s}'s queue is empty: drops counted since the last look, or null when none. */
    Overrun drained(CpuSocket s) {
        return s.overrunSeen ? refresh(s) : null;
    }

    private Overrun refresh(CpuSocket s) {
        long drops = s.drops();
        if (drops < 0) { // no SO_MEMINFO: at least one record was lost per overrun
            dropped.incrementAndGet(s.cpu);
            return new Overrun(s.cpu, -1, -1);
        }
        long delta = drops - s.lastDrops;
        if (delta <= 0) {
            return null;
        }
        s.lastDrops = drops;
        return new Overrun(s.cpu, delta, dropped.addAndGet(s.cpu, delta));
    }

    long overruns(int cpu) {
        return overruns.get(cpu);
    }

    long dropped(int cpu) {
        return dropped.get(cpu);
    }

    long overruns() {
        return sum(overruns);
    }

    long dropped() {
        return sum(dropped);
    }

    static long sum(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i++) {
            s += a.get(i);
        }
        return s;
    }
}
