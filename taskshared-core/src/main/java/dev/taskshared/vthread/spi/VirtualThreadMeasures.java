package dev.taskshared.vthread.spi;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * How {@link dev.taskshared.Interval} measures a virtual thread when the taskshared agent is
 * active, without the API package importing {@code dev.taskshared.vthread}, which is built on the
 * API (a package cycle otherwise). The accounting installs itself here when the agent activates
 * it; until then {@link #applies()} is false. Not exported: internal to the core module.
 */
public final class VirtualThreadMeasures {

    /** One interval's numbers for the calling virtual thread, across remounts on any carrier. */
    public interface Measurement {
        void start();

        void stop();

        /** Null when the numbers are valid, else why they would be wrong. */
        String invalidReason();

        long wallNanos();

        long cpuNanos();

        long offCpuNanos();

        long runDelayNanos();

        long voluntarySwitches();

        long involuntarySwitches();
    }

    private static volatile BooleanSupplier applies;
    private static volatile Supplier<Measurement> factory;

    private VirtualThreadMeasures() {
    }

    /** Called once by the accounting when it activates. */
    public static void install(BooleanSupplier appliesToCaller, Supplier<Measurement> newMeasurement) {
        factory = newMeasurement;
        applies = appliesToCaller;
    }

    /** Whether an interval started now on the calling thread is measured as a virtual thread. */
    public static boolean applies() {
        BooleanSupplier a = applies;
        return a != null && a.getAsBoolean();
    }

    /** A new measurement; only after {@link #applies()} returned true. */
    public static Measurement newMeasurement() {
        return factory.get();
    }
}
