/**
 * taskshared's library: zero-syscall per-thread scheduler statistics.
 *
 * <p>Exported to everyone, the API: {@code dev.taskshared} (TaskShared, ThreadStats, Interval,
 * StatsSnapshot, Feature, Mode, Diagnostics), {@code exit} (a registered thread's final numbers),
 * {@code export} (what the Micrometer and OpenTelemetry modules share), {@code jfr} (the JFR
 * events), {@code monitor} (reading another process's threads, as {@code top} does) and
 * {@code taskstats} (the kernel's exit statistics to CPU-masked listeners, on-demand queries) and
 * {@code vthread} (per-virtual-thread totals; its {@code MountAccounting} is public for the
 * agent's jar, which runs outside any module, and is not API).
 *
 * <p>Internal: {@code sys} (every FFM downcall, including a raw {@code syscall}), {@code region}
 * (slot and header layouts, writers), {@code publisher}, {@code host}, {@code bpf} (instructions,
 * maps, programs, BTF), {@code vthread.spi} (how Interval reaches the virtual-thread accounting
 * built above it). Exported, qualified, only to our own command and benchmarks, as
 * Elasticsearch's native-access library does: the command installs the host publisher and reads
 * other processes' regions; the benchmarks load their own BPF programs to measure ours.
 * {@code ModuleBoundaryTest} keeps exported signatures free of internal types and the packages
 * free of cycles.
 */
module dev.taskshared.core {
    // The exported dev.taskshared.jfr events extend jdk.jfr.Event: their users read jdk.jfr too.
    requires transitive jdk.jfr;

    exports dev.taskshared;
    exports dev.taskshared.exit;
    exports dev.taskshared.export;
    exports dev.taskshared.jfr;
    exports dev.taskshared.monitor;
    exports dev.taskshared.taskstats;
    exports dev.taskshared.vthread;

    exports dev.taskshared.host to dev.taskshared.cli, dev.taskshared.bench;
    exports dev.taskshared.publisher to dev.taskshared.cli, dev.taskshared.bench;
    exports dev.taskshared.region to dev.taskshared.cli;
    exports dev.taskshared.sys to dev.taskshared.cli, dev.taskshared.bench;
    exports dev.taskshared.bpf to dev.taskshared.bench;
    exports dev.taskshared.bpf.asm to dev.taskshared.bench;
    exports dev.taskshared.bpf.btf to dev.taskshared.bench;
}
