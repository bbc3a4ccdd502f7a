package dev.taskshared.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@link VirtualThreadMounts} without the agent (with and without the BPF publisher) and with
 * it, alternating forks in one run so that the ratios are measured side by side on a noisy machine; one carrier
 * ({@code jdk.virtualThreadScheduler.parallelism=1}) so that no cross-CPU wakeup lies in a round
 * trip. Usage: {@code VirtualThreadCost <path to taskshared-agent.jar> [rounds]}.
 */
public final class VirtualThreadCost {
    private VirtualThreadCost() {
    }

    public static void main(String[] args) throws RunnerException {
        if (args.length < 1 || !Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("usage: VirtualThreadCost <taskshared-agent.jar> [rounds]");
            System.exit(2);
        }
        String agent = "-javaagent:" + Path.of(args[0]).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Map<String, List<Double>> without = new LinkedHashMap<>();
        Map<String, List<Double>> with = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            collect(run(null, "none", "bpf"), without);
            collect(run(agent, "bpf"), with);
        }
        System.out.printf("%-20s %14s %14s %14s %12s %12s%n", "benchmark", "plain ns", "publisher ns", "agent ns",
                "agent/publ.", "agent/plain");
        for (String name : List.of("yieldMountPair", "pingPongRoundTrip")) {
            double plain = median(without.get(name + " none"));
            double publ = median(without.get(name + " bpf"));
            double ag = median(with.get(name + " bpf"));
            System.out.printf("%-20s %14.1f %14.1f %14.1f %12.3f %12.3f%n", name, plain, publ, ag, ag / publ, ag / plain);
        }
    }

    private static java.util.Collection<RunResult> run(String agent, String... publishers) throws RunnerException {
        List<String> jvm = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED", "-Djdk.virtualThreadScheduler.parallelism=1"));
        if (agent != null) {
            jvm.add(agent);
        }
        return new Runner(new OptionsBuilder()
                .include(VirtualThreadMounts.class.getName().replace(".", "\\.") + "\\..*")
                .param("publisher", publishers)
                .forks(1)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(1))
                .timeUnit(TimeUnit.NANOSECONDS)
                .jvmArgsAppend(jvm.toArray(String[]::new))
                .verbosity(VerboseMode.SILENT)
                .build()).run();
    }

    private static void collect(java.util.Collection<RunResult> results, Map<String, List<Double>> into) {
        for (RunResult r : results) {
            String b = r.getParams().getBenchmark();
            String key = b.substring(b.lastIndexOf('.') + 1) + " " + r.getParams().getParam("publisher");
            into.computeIfAbsent(key, k -> new ArrayList<>()).add(r.getPrimaryResult().getScore());
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
