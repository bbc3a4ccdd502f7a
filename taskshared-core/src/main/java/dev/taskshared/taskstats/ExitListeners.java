package dev.taskshared.taskstats;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The registrations of each CPU, and the one loop that calls them: a listener that throws is
 * counted and logged once, and delivery goes on. Lists are copy-on-write, so a listener may
 * (de)register while being called; calls come from the receiver thread only.
 */
final class ExitListeners {
    private static final System.Logger LOG = System.getLogger(ExitMonitor.class.getName());

    private final List<ExitMonitor.Registration>[] byCpu;
    private final AtomicLong failures = new AtomicLong();

    ExitListeners(int cpus) {
        @SuppressWarnings("unchecked")
        List<ExitMonitor.Registration>[] l = (List<ExitMonitor.Registration>[]) new List<?>[cpus];
        for (int i = 0; i < cpus; i++) {
            l[i] = new CopyOnWriteArrayList<>();
        }
        this.byCpu = l;
    }

    void add(int cpu, ExitMonitor.Registration r) {
        byCpu[cpu].add(r);
    }

    /** Removes {@code r} from {@code cpu}; true when no registration covers the CPU any more. */
    boolean remove(int cpu, ExitMonitor.Registration r) {
        byCpu[cpu].remove(r);
        return byCpu[cpu].isEmpty();
    }

    /** Hands {@code record} to every listener of {@code cpu}. */
    void exit(int cpu, ExitRecord record) {
        each(cpu, r -> r.deliver(record));
    }

    /** Tells every listener of {@code cpu} that records were lost. */
    void overrun(int cpu, Overrun overrun) {
        each(cpu, r -> r.listener().onOverrun(overrun));
    }

    /** Exceptions thrown by listeners so far. */
    long failures() {
        return failures.get();
    }

    private void each(int cpu, Consumer<ExitMonitor.Registration> call) {
        for (ExitMonitor.Registration r : byCpu[cpu]) {
            try {
                call.accept(r);
            } catch (RuntimeException e) {
                if (failures.getAndIncrement() == 0) {
                    LOG.log(Level.WARNING, "an exit listener threw (logged once, counted in listenerFailures())", e);
                }
            }
        }
    }
}
