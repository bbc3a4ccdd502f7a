/**
 * JMH benchmarks and probes of taskshared's costs. The command runs them ({@link
 * dev.taskshared.bench.BenchRunner}); JMH runs each benchmark in a forked JVM on the class path (it
 * passes its own {@code java.class.path}), so the generated {@code jmh_generated} classes need no
 * export. Reads the core's BPF toolkit, publishers and syscalls through qualified exports: the
 * probes load programs of their own to measure ours.
 */
module dev.taskshared.bench {
    requires dev.taskshared.core;
    requires jmh.core;
    requires java.management;
    // IntegrationsBench only, run on its own (not by the command): optional, so the command does not carry them.
    requires static dev.taskshared.micrometer;
    requires static dev.taskshared.opentelemetry;
    requires static micrometer.core;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
    requires static io.opentelemetry.sdk.trace;

    exports dev.taskshared.bench;
}
