package dev.taskshared.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.Feature;
import dev.taskshared.Interval;
import dev.taskshared.Mode;
import dev.taskshared.TaskShared;
import dev.taskshared.ThreadStats;
import dev.taskshared.UnsupportedFeatureException;
import dev.taskshared.bpf.BpfLink;
import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.BpfProgram;
import dev.taskshared.exit.ThreadExit;
import dev.taskshared.monitor.ProcessMonitor;
import dev.taskshared.publisher.HostPrograms;
import dev.taskshared.sys.Libc;
import dev.taskshared.taskstats.TaskStats;
import dev.taskshared.taskstats.TaskstatsClient;
import dev.taskshared.testing.BlockedWorkers;
import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.HostFixture;
import dev.taskshared.testing.HostProbe;
import dev.taskshared.testing.KernelTimes;
import dev.taskshared.testing.Privileged;
import dev.taskshared.testing.SleepingProcess;
import dev.taskshared.testing.Work;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host publisher as root sees it, in this JVM: install into a private BPF file system, the
 * pins' owners and modes, one set of programs, idempotent install and explicit replace, a JVM's
 * numbers through it against /proc (1% + 2 ms, pcount within 3), exits, a registration taken
 * away and reported, a monitor that never takes one away, negotiation with older and newer
 * records, and an uninstall that leaves nothing attached.
 */
class HostInstallTest {
    private static HostFixture fixture;

    @BeforeAll
    static void install() throws Exception {
        fixture = HostFixture.create(UnaryOperator.identity());
    }

    @AfterAll
    static void undo() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static Path dir() {
        return fixture.dir();
    }

    @Test
    void pinsHaveTheDocumentedOwnersAndModes() throws Exception {
        // The BPF file system's root was mounted 0700 as systemd does: install made it searchable, not readable.
        assertOwnerAndMode(dir().getParent(), "rwx--x--x", 0);
        assertOwnerAndMode(dir(), "rwxr-x---", fixture.gid());
        assertOwnerAndMode(dir().resolve(HostPins.TASKS), "rw-rw----", fixture.gid());
        assertOwnerAndMode(dir().resolve(HostPins.SEED), "rw-rw----", fixture.gid());
        assertOwnerAndMode(dir().resolve(HostPins.SEED_TASK), "rw-rw----", fixture.gid());
        assertOwnerAndMode(dir().resolve(HostPins.INFO), "rw-r-----", fixture.gid());
        assertOwnerAndMode(dir().resolve(HostPins.SWITCH_LINK), "rw-------", 0);
        assertOwnerAndMode(dir().resolve(HostPins.EXIT_LINK), "rw-------", 0);
        try (var names = Files.list(dir())) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(HostPins.ALL);
        }
    }

    private static void assertOwnerAndMode(Path p, String mode, int gid) throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS))).as(p.toString()).isEqualTo(mode);
        assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(p + " owner").isEqualTo(0);
        assertThat(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).as(p + " group").isEqualTo(gid);
    }

    @Test
    void oneSetOfProgramsIsAttachedThroughThePinnedLinks() throws Exception {
        HostStatus s = HostStatus.probe(dir(), Duration.ofMillis(300));
        assertThat(s.installed()).isTrue();
        assertThat(s.info().groupGid()).isEqualTo(fixture.gid());
        assertThat(s.programs()).extracting(HostStatus.Program::name)
                .containsExactlyInAnyOrder(HostPrograms.SWITCH, HostPrograms.EXIT, HostPrograms.SEED, HostPrograms.SEED_TASK);
        for (HostStatus.Program p : s.programs()) {
            assertThat(BpfProgram.exists(p.id())).isTrue();
            assertThat(p.attached()).as(p.name()).isEqualTo(p.name().equals(HostPrograms.SWITCH) || p.name().equals(HostPrograms.EXIT));
        }
        assertThat(s.switchRuns()).as("context switches in 300 ms ran the switch program").isPositive();
        assertThat(s.switchNanosPerRun()).isPositive();
    }

    @Test
    void installingTheSameVersionAgainChangesNothing() throws Exception {
        List<Integer> before = programIds(dir());
        HostInstaller.Installed again = HostInstaller.install(HostInstaller.Options.defaults().dir(dir()).group(fixture.group()));
        assertThat(again.changed()).isFalse();
        assertThat(again.message()).contains("nothing to do");
        assertThat(programIds(dir())).isEqualTo(before);
    }

    @Test
    void anotherVersionIsReplacedOnlyWhenAskedTo() throws Exception {
        rewriteInfo(c -> new HostInfo.Content(c.abiMajor(), c.abiMinor(), c.recordSize(), c.slotSize(), c.structSize(), c.taskRecordSize(),
                c.features(), c.hostFlags(), c.installedAtEpochNanos(), "0.0.0-other", c.programs(), c.groupGid()));
        List<Integer> before = programIds(dir());
        HostInstaller.Options o = HostInstaller.Options.defaults().dir(dir()).group(fixture.group());
        assertThatThrownBy(() -> HostInstaller.install(o)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("0.0.0-other").hasMessageContaining("--replace");
        assertThat(programIds(dir())).isEqualTo(before);
        HostInstaller.Installed replaced = HostInstaller.install(o.replace(true));
        assertThat(replaced.changed()).isTrue();
        assertThat(replaced.message()).startsWith("replaced");
        assertThat(programIds(dir())).doesNotContainAnyElementsOf(before);
        for (int id : before) {
            awaitGone(id);
        }
    }

    @Test
    void aJvmUsesTheHostPublisherAndItsNumbersAgreeWithProc() throws Exception {
        Privileged.require("taskstats", TaskstatsClient.unavailableReason().isEmpty(), TaskstatsClient.unavailableReason().orElse(""));
        try (TaskShared ts = TaskShared.builder().hostPublisher(dir()).build()) {
            assertThat(ts.mode()).isEqualTo(Mode.BPF);
            assertThat(ts.dataPath()).isEqualTo("task_storage");
            assertThat(ts.modeDescription()).startsWith("host publisher at " + dir());
            assertThat(ts.bpfProgramInfo()).as("no programs of its own").isEmpty();
            try (BlockedWorkers workers = BlockedWorkers.start(6, ts::currentThread); TaskstatsClient taskstats = TaskstatsClient.open()) {
                for (ThreadStats h : workers.handles()) {
                    assertThat(HostProbe.compareBlocked(h)).isNull();
                    assertThat(h.supports(Feature.UTIME)).isTrue();
                    TaskStats k = taskstats.queryPid(h.tid()); // blocked: utime and stime stay put
                    KernelTimes.assertAsTaskstatsSays(h, k);
                    assertThat(h.offCpuNanos()).as("5 sleeps of 2 ms").isGreaterThanOrEqualTo(5 * 2_000_000L);
                }
                assertThat(HostStatus.probe(dir(), Duration.ofMillis(1)).registeredTasks()).isEqualTo(6);
            }
        }
        assertThat(HostStatus.probe(dir(), Duration.ofMillis(1)).registeredTasks()).as("exited threads leave no entry").isZero();
    }

    @Test
    void exitListenersHearOfExitsThroughTheSlot() throws Exception {
        try (TaskShared ts = TaskShared.builder().hostPublisher(dir()).build()) {
            BlockingQueue<ThreadExit> exits = new ArrayBlockingQueue<>(16);
            int[] tid = new int[1];
            try (AutoCloseable l = ts.onThreadExit(exits::add)) {
                Thread t = Thread.ofPlatform().start(() -> {
                    tid[0] = ts.currentThread().tid();
                    Work.burnCpu(5_000_000);
                });
                t.join();
                ThreadExit e = exits.poll(5, TimeUnit.SECONDS);
                assertThat(e).as("exit of thread %d", tid[0]).isNotNull();
                assertThat(e.tid()).isEqualTo(tid[0]);
                assertThat(e.tgid()).isEqualTo(Libc.getpid());
                assertThat(e.sumExecRuntimeNanos()).isGreaterThanOrEqualTo(5_000_000L);
                assertThat(e.cpu()).isBetween(0, Libc.nprocsConf() - 1);
            }
            assertThat(ts.registeredThreads()).isZero();
        }
    }

    @Test
    void aRegistrationTakenAwayIsReportedWithinOneReapPass() throws Exception {
        for (boolean replace : new boolean[] {false, true}) {
            try (TaskShared ts = TaskShared.builder().hostPublisher(dir()).reapInterval(Duration.ofMillis(100)).build();
                 BpfMap tasks = BpfMap.openPinned(dir().resolve(HostPins.TASKS), false); Arena arena = Arena.ofConfined()) {
                AtomicReference<ThreadStats> handle = new AtomicReference<>();
                AtomicReference<Interval> interval = new AtomicReference<>();
                AtomicReference<ThreadStats> again = new AtomicReference<>();
                AtomicBoolean freshLive = new AtomicBoolean();
                CountDownLatch started = new CountDownLatch(1);
                CountDownLatch stop = new CountDownLatch(1);
                Thread t = Thread.ofPlatform().start(() -> {
                    ThreadStats me = ts.currentThread();
                    handle.set(me);
                    Interval op = me.newInterval().start();
                    interval.set(op);
                    started.countDown();
                    while (stop.getCount() > 0) {
                        Work.sleep(1); // switches: a frozen slot shows within one pass
                    }
                    op.stop();
                    ThreadStats fresh = ts.currentThread();
                    again.set(fresh);
                    freshLive.set(!fresh.isReleased()); // here: once the thread ends, its exit releases it
                });
                started.await();
                MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
                int pidfd = Libc.pidfdOpenThread(handle.get().tid());
                key.set(ValueLayout.JAVA_INT, 0, pidfd);
                long takenAt = System.nanoTime();
                if (replace) {
                    MemorySegment other = arena.allocate(4096, 4096);
                    MemorySegment record = arena.allocate(tasks.valueSize(), 8);
                    record.set(ValueLayout.JAVA_LONG, 0, other.address());
                    record.set(ValueLayout.JAVA_INT, 24, 1); // seeded
                    tasks.update(key, record, BpfMap.ANY);
                } else {
                    assertThat(tasks.delete(key)).isTrue();
                }
                Libc.closeQuietly(pidfd);
                while (!handle.get().isReleased() && System.nanoTime() - takenAt < TimeUnit.SECONDS.toNanos(5)) {
                    Thread.sleep(5);
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - takenAt);
                stop.countDown();
                t.join();
                // Bound: one reap pass (100 ms here) after the thread's second switch-in since the loss.
                assertThat(handle.get().isReleased()).as("released (replace=%s)", replace).isTrue();
                assertThat(millis).as("detected after %d ms (replace=%s)", millis, replace).isLessThanOrEqualTo(500);
                assertThat(handle.get().releaseReason()).contains("stopped being published while it ran");
                assertThatThrownBy(() -> handle.get().pcount()).hasMessageContaining("taken away");
                assertThat(interval.get().valid()).isFalse();
                assertThat(interval.get().invalidReason()).contains("taken away");
                assertThat(ts.lostRegistrations()).isEqualTo(1);
                assertThat(again.get()).isNotSameAs(handle.get());
                assertThat(freshLive).as("the thread's next currentThread() registers it again").isTrue();
            }
        }
    }

    /** top's case: a thread of another process, registered while it sleeps, has the kernel's utime and stime at once. */
    @Test
    void aMonitorSeedsAnotherProcesssThreadWithTheKernelsUserAndSystemTime() throws Exception {
        Privileged.require("taskstats", TaskstatsClient.unavailableReason().isEmpty(), TaskstatsClient.unavailableReason().orElse(""));
        try (SleepingProcess child = SleepingProcess.start();
             TaskShared monitor = TaskShared.builder().hostPublisher(dir()).watchProcess(child.pid()).build();
             TaskstatsClient taskstats = TaskstatsClient.open()) {
            assertThat(monitor.modeDescription()).startsWith("host publisher at " + dir());
            ThreadStats h = monitor.register(child.pid());
            TaskStats k = taskstats.queryPid(child.pid());
            assertThat(h.utimeNanos()).as("the shell's loop ran in user mode").isPositive();
            KernelTimes.assertAsTaskstatsSays(h, k);
        }
    }

    @Test
    void aMonitorNeverTakesARegistrationAway() throws Exception {
        try (HostFixture.Child child = startAsRoot("hold", "5", "busy")) {
            String ready = child.await(l -> l.startsWith("ready "), 60);
            assertThat(child.lines().get(0)).contains("BPF task_storage");
            int registered = ready.substring(6).split(",").length;
            System.setProperty("taskshared.hostPublisher", dir().toString());
            try (ProcessMonitor m = ProcessMonitor.open((int) child.process().pid(), Mode.BPF)) {
                m.sample();
                Thread.sleep(300);
                assertThat(m.sample()).isNotEmpty();
                assertThat(m.mode()).isEqualTo(Mode.BPF);
                assertThat(m.sampledThreads()).as(m.source()).isEqualTo(registered);
            } finally {
                System.clearProperty("taskshared.hostPublisher");
            }
            Thread.sleep(300);
            child.send("check");
            String checked = child.await(l -> l.startsWith("checked "), 30);
            assertThat(checked).isEqualTo("checked " + registered + " lost 0");
            assertThat(child.lines()).noneMatch(l -> l.startsWith("MISMATCH") || l.startsWith("lost "));
            child.send("quit");
            child.finish(30);
        }
    }

    @Test
    void libraryAndPublisherOfDifferentVersionsUseWhatBothKnow() throws Exception {
        try {
            long older = Feature.allKnown() & ~Feature.maskOf(Feature.UTIME, Feature.STIME);
            rewriteInfo(c -> new HostInfo.Content(1, 0, HostInfo.RECORD_SIZE, c.slotSize(), 104, c.taskRecordSize(), new long[] {older},
                    c.hostFlags(), c.installedAtEpochNanos(), "0.0.1", c.programs(), c.groupGid()));
            try (TaskShared ts = TaskShared.builder().hostPublisher(dir()).build()) {
                assertThat(ts.modeDescription()).startsWith("host publisher").contains("not provided: utime, stime");
                ThreadStats me = ts.currentThread();
                assertThat(me.supports(Feature.UTIME)).isFalse();
                assertThatThrownBy(me::utimeNanos).isInstanceOf(UnsupportedFeatureException.class);
                assertThat(me.supports(Feature.OFF_CPU)).isTrue();
                me.release();
            }
            long future = Feature.allKnown() | 1L << 11 | 1L << 12;
            rewriteInfo(c -> new HostInfo.Content(1, 9, HostInfo.VALUE_SIZE, c.slotSize(), c.slotSize(), c.taskRecordSize(),
                    new long[] {future, 0x3}, c.hostFlags(), c.installedAtEpochNanos(), "9.9.9", c.programs(), c.groupGid()));
            try (TaskShared ts = TaskShared.builder().hostPublisher(dir()).build()) {
                assertThat(ts.modeDescription()).startsWith("host publisher").doesNotContain("not provided");
                for (Feature f : Feature.values()) {
                    assertThat(ts.supports(f)).as(f.name()).isTrue();
                }
                assertThat(HostProbe.compareBlocked(ts.currentThread())).isNull();
            }
            rewriteInfo(c -> new HostInfo.Content(2, 0, c.recordSize(), c.slotSize(), c.structSize(), c.taskRecordSize(), c.features(),
                    c.hostFlags(), c.installedAtEpochNanos(), "2.0.0", c.programs(), c.groupGid()));
            try (TaskShared ts = TaskShared.builder().hostPublisher(dir()).build()) {
                assertThat(ts.modeDescription()).as("a root JVM falls back to its own programs")
                        .startsWith("BPF programs").contains("host publisher not used").contains("major versions differ");
                assertThat(ts.mode()).isEqualTo(Mode.BPF);
            }
        } finally {
            HostInstaller.install(HostInstaller.Options.defaults().dir(dir()).group(fixture.group()).replace(true));
        }
    }

    @Test
    void aPublisherInstalledWithFeaturesWithheldOffersTheRest() throws Exception {
        Path second = dir().resolveSibling("withheld");
        try {
            HostInstaller.install(HostInstaller.Options.defaults().dir(second).group(fixture.group()).withhold(dev.taskshared.region.SlotFeature.UTIME, dev.taskshared.region.SlotFeature.STIME));
            try (TaskShared ts = TaskShared.builder().hostPublisher(second).build()) {
                assertThat(ts.modeDescription()).startsWith("host publisher at " + second);
                assertThat(ts.supports(Feature.UTIME)).isFalse();
                assertThat(ts.supports(Feature.STIME)).isFalse();
                assertThat(ts.supports(Feature.RUN_DELAY)).isTrue();
                assertThat(HostProbe.compareBlocked(ts.currentThread())).isNull();
            }
        } finally {
            HostInstaller.uninstall(second);
        }
    }

    @Test
    void uninstallLeavesNoPinAndNoProgramAttached() throws Exception {
        Path third = dir().resolveSibling("third");
        HostInstaller.install(HostInstaller.Options.defaults().dir(third).group(fixture.group()));
        List<Integer> ids = programIds(third);
        assertThat(ids).hasSize(2);
        try (TaskShared ts = TaskShared.builder().hostPublisher(third).build()) {
            ThreadStats me = ts.currentThread(); // a JVM still holding the map does not keep the programs attached
            HostInstaller.Uninstalled u = HostInstaller.uninstall(third);
            assertThat(u.removed()).containsExactlyElementsOf(HostPins.ALL);
            assertThat(u.detached()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(u.stillLoaded()).isEmpty();
            assertThat(third).doesNotExist();
            for (int id : ids) {
                assertThat(BpfProgram.exists(id)).isFalse();
            }
            assertThat(BpfProgram.allIds()).doesNotContainAnyElementsOf(ids);
            assertThat(me.isReleased()).isFalse();
        }
        assertThat(HostStatus.probe(third, Duration.ofMillis(1)).installed()).isFalse();
        assertThat(HostInstaller.uninstall(third).removed()).isEmpty();
    }

    @Test
    void installRefusesADirectoryOutsideABpfFileSystem() throws Exception {
        Path tmp = Files.createTempDirectory("not-bpffs");
        try {
            assertThatThrownBy(() -> HostInstaller.install(HostInstaller.Options.defaults().dir(tmp.resolve("ts")).group(fixture.group())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not in a BPF file system");
            assertThatThrownBy(() -> HostInstaller.install(HostInstaller.Options.defaults().dir(dir()).group("tsg-no-such-group")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist: create it");
        } finally {
            Files.delete(tmp);
        }
    }

    private static HostFixture.Child startAsRoot(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:-UsePerfData", "-Xmx64m", "--enable-native-access=ALL-UNNAMED",
                "-Dtaskshared.hostPublisher=" + dir(), "-cp", ChildJvm.classPath(), HostProbe.class.getName()));
        cmd.addAll(List.of(args));
        return HostFixture.Child.of(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** The programs the link pins keep attached. */
    static List<Integer> programIds(Path d) {
        List<Integer> ids = new ArrayList<>();
        for (String pin : List.of(HostPins.SWITCH_LINK, HostPins.EXIT_LINK)) {
            try (BpfLink l = BpfLink.openPinned(d.resolve(pin))) {
                ids.add(l.programId());
            }
        }
        return ids;
    }

    private static void rewriteInfo(UnaryOperator<HostInfo.Content> change) {
        try (BpfMap info = BpfMap.openPinned(dir().resolve(HostPins.INFO), false); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(info.valueSize(), 8);
            assertThat(info.lookup(key, value)).isTrue();
            HostInfo.Content c = change.apply(HostInfo.read(value, "info"));
            HostInfo.write(value, c);
            info.update(key, value, BpfMap.ANY);
        }
    }

    private static void awaitGone(int id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (BpfProgram.exists(id) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(BpfProgram.exists(id)).as("program %d detached", id).isFalse();
    }
}
