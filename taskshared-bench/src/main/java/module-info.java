/**
 * JMH benchmarks and probes of taskshared's costs. The command runs them ({@link
 * dev.taskshared.bench.BenchRunner}); JMH runs each benchmark in a forked JVM with this JVM's options,
 * so on the same module path with the same root module ({@code --module-path},
 * {@code -Djdk.module.main}), where its runner (in module {@code jmh.core}) instantiates the generated
 * classes. Reads the core's BPF toolkit, publishers and syscalls through qualified exports: the
 * probes load programs of their own to measure ours.
 */
module dev.taskshared.bench {
    requires dev.taskshared.core;
    requires jmh.core;
    // JMH (an automatic module: it reads every resolved module but resolves none) uses sun.misc.Unsafe.
    requires jdk.unsupported;
    requires java.management;
    // IntegrationsBench only, run on its own (not by the command): optional, so the command does not carry them.
    requires static dev.taskshared.micrometer;
    requires static dev.taskshared.opentelemetry;
    requires static micrometer.core;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
    requires static io.opentelemetry.sdk.trace;

    exports dev.taskshared.bench;
    // JMH's annotation processor generates this package; a fork's runner instantiates its classes reflectively.
    opens dev.taskshared.bench.jmh_generated to jmh.core;
}
