package dev.taskshared;

import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.bpf.MapSpec;
import dev.taskshared.bpf.ProgramType;
import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.Reg;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.host.HostInfo;
import dev.taskshared.host.HostInstaller;
import dev.taskshared.host.HostPublisher;
import dev.taskshared.publisher.BpfPublisher;
import dev.taskshared.region.SlotLayout;
import dev.taskshared.sys.Libc;
import dev.taskshared.sys.Rseq;
import dev.taskshared.sys.Sysctl;
import dev.taskshared.taskstats.TaskstatsClient;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What this machine offers the library, probed for real: each check does what the library would
 * do (read the rseq area, create a BPF map and load a program, resolve the taskstats family) and
 * says why not when it fails. For {@code taskshared doctor}.
 */
public final class Diagnostics {

    /** One probed facility. */
    public record Check(boolean available, String reason) {
        static Check yes(String reason) {
            return new Check(true, reason);
        }

        static Check no(String reason) {
            return new Check(false, reason);
        }
    }

    /**
     * A report.
     *
     * @param mode the mode the library would run in ({@code bpf} or {@code sampling})
     * @param modeReason why
     * @param dataPath how numbers would reach the slots: {@code task_storage}, {@code map_pages} or {@code procfs}
     * @param dataPathReason why that one
     * @param hostPublisher whether the host publisher can be used by this process, and why not
     * @param hostPublisherVersion the installed host publisher's version, or null when none can be read
     */
    public record Report(String mode, String modeReason, String dataPath, String dataPathReason, String kernel, Check rseq, Check bpf, Check btf, Check tracefs,
                         Check taskstats, Check delayacct, Check hostPublisher, String hostPublisherVersion) {
        /** The checks by name, in report order. */
        public Map<String, Check> checks() {
            Map<String, Check> m = new LinkedHashMap<>();
            m.put("rseq", rseq);
            m.put("bpf", bpf);
            m.put("btf", btf);
            m.put("tracefs", tracefs);
            m.put("taskstats", taskstats);
            m.put("delayacct", delayacct);
            m.put("host_publisher", hostPublisher);
            return m;
        }
    }

    private Diagnostics() {
    }

    /**
     * Probes everything, in the library's order: the host publisher, then this process's own
     * programs, then sampling. Takes milliseconds; loads and unloads a BPF program when allowed.
     */
    public static Report probe() {
        Check bpf = probeBpf();
        Check rseq = probeRseq();
        String[] hostVersion = {null};
        Check host = probeHost(Publishers.hostPublisherFromProperty(), hostVersion);
        String[] path = {"procfs", "no BPF publisher: a thread reads /proc"};
        Check publisher;
        if (host.available()) {
            publisher = host;
            path[0] = "task_storage";
            path[1] = "the host publisher's task-local storage with user pointers";
        } else {
            publisher = bpf.available() ? probePublisher(path) : bpf;
        }
        String mode = publisher.available() ? "bpf" : "sampling";
        String modeReason = publisher.available()
                ? publisher.reason() + (host.available() ? "" : "; host publisher not used: " + host.reason())
                : "BPF is not available (host publisher: " + host.reason() + "; own programs: " + publisher.reason()
                        + "): a thread samples /proc every " + Long.getLong("taskshared.sampleIntervalMillis", 10) + " ms";
        return new Report(mode, modeReason, path[0], path[1], kernel(), rseq, bpf, probeBtf(), probeTracefs(), probeTaskstats(), probeDelayacct(),
                host, hostVersion[0]);
    }

    /**
     * Whether the host publisher at {@code dir} opens for this process (as the library would open
     * it, without registering anything); {@code version} receives its version when its record can be read.
     */
    static Check probeHost(Path dir, String[] version) {
        if (dir == null) {
            return Check.no("not looked for (taskshared.hostPublisher=none)");
        }
        try (HostPublisher p = HostPublisher.open(dir)) {
            version[0] = p.info().describe();
            return Check.yes(p.description());
        } catch (RuntimeException | LinkageError e) {
            try {
                version[0] = HostInstaller.readInfo(dir).map(HostInfo.Content::describe).orElse(null);
            } catch (RuntimeException unreadable) {
                version[0] = null; // not in the group: the record is closed to this process too
            }
            return Check.no(e.getMessage());
        }
    }

    static String kernel() {
        try {
            return Sysctl.read("kernel.osrelease");
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    static Check probeRseq() {
        try {
            MemorySegment area = Rseq.currentThreadArea();
            int cpu = area.get(ValueLayout.JAVA_INT, Rseq.CPU_ID_OFFSET);
            int libc = Libc.schedGetcpu();
            if (cpu < 0) {
                return Check.no("the rseq area's cpu_id is " + cpu + " (not registered with the kernel)");
            }
            String who = Rseq.registeredByGlibc() ? "registered by glibc (__rseq_size " + Rseq.glibcSize() + ")"
                    : "registered by taskshared (glibc did not)";
            return Check.yes(who + "; cpu_id " + cpu + ", sched_getcpu " + libc);
        } catch (RuntimeException e) {
            return Check.no(e.getMessage());
        }
    }

    static Check probeBtf() {
        Path btf = Path.of("/sys/kernel/btf/vmlinux");
        if (Files.isReadable(btf)) {
            try {
                return Check.yes(btf + " (" + Files.size(btf) / 1024 + " KiB): task_struct fields are found at BTF offsets");
            } catch (IOException e) {
                return Check.no(btf + ": " + e.getMessage());
            }
        }
        return Check.no(btf + " is missing: the kernel was built without CONFIG_DEBUG_INFO_BTF");
    }

    static Check probeTracefs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("tracefs")) {
                    return Check.yes("mounted at " + f[1]);
                }
            }
            boolean supported = Files.readString(Path.of("/proc/filesystems")).contains("\ttracefs");
            return Check.no(supported ? "supported but not mounted; not needed: the publisher attaches through BTF-typed or raw tracepoints"
                    : "not supported by this kernel; not needed: the publisher attaches through BTF-typed or raw tracepoints");
        } catch (IOException e) {
            return Check.no(e.getMessage());
        }
    }

    static Check probeDelayacct() {
        Path p = Sysctl.path("kernel.task_delayacct");
        try {
            String v = Sysctl.read("kernel.task_delayacct");
            return v.equals("1") ? Check.yes("kernel.task_delayacct = 1: exit records carry delay totals")
                    : Check.no("kernel.task_delayacct = " + v + " (off): delay totals in exit records are 0; "
                            + "`taskshared exits --enable-delayacct` turns it on as root");
        } catch (NoSuchFileException e) {
            return Check.no(p + " is missing: the kernel was built without CONFIG_TASK_DELAY_ACCT");
        } catch (IOException e) {
            return Check.no(p + " cannot be read: " + e);
        }
    }

    /** Creates an array map and loads a trivial raw-tracepoint program, as the publisher would. */
    static Check probeBpf() {
        if (!Btf.vmlinuxAvailable()) {
            return Check.no("/sys/kernel/btf/vmlinux is missing: task_struct offsets cannot be found");
        }
        try (BpfMap map = BpfMap.create(MapSpec.array(SlotLayout.SLOT_SIZE, SlotLayout.SLOTS_PER_PAGE).mmapable().named("ts_probe"));
             BpfProgram prog = BpfProgram.load(ProgramType.RAW_TRACEPOINT, new Asm().mov(Reg.R0, 0).exit().build())) {
            map.mmap();
            long pid = Btf.vmlinux().offsetOf("task_struct", "pid");
            return Check.yes("created an mmapable array map and loaded a raw-tracepoint program; "
                    + "task_struct.pid at offset " + pid + " (BTF)");
        } catch (RuntimeException | LinkageError e) {
            return Check.no(e.getMessage());
        }
    }

    static Check probeTaskstats() {
        return TaskstatsClient.unavailableReason().map(Check::no)
                .orElseGet(() -> Check.yes("the genetlink family TASKSTATS answers queries; exit records by cpumask"));
    }

    /** Whether the BPF publisher itself starts (attaches its programs), and why not. */
    /** Starts the publisher the library would start; {@code path} receives its data path and the reason. */
    static Check probePublisher(String[] path) {
        try (BpfPublisher p = Publishers.startBpf(Publishers.dataPathFromProperty())) {
            path[0] = p.dataPath().jsonName();
            path[1] = p.dataPathReason();
            return Check.yes(p.description());
        } catch (RuntimeException | LinkageError e) {
            return Check.no(e.getMessage());
        }
    }
}
