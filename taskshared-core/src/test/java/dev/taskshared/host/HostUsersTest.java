package dev.taskshared.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskshared.testing.ChildJvm;
import dev.taskshared.testing.HostFixture.As;
import dev.taskshared.testing.HostFixture;
import dev.taskshared.testing.HostProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The trust boundary, tested with child JVMs run as unprivileged users (every capability
 * dropped): a member of the group gets BPF mode through the host publisher, also inside a PID
 * namespace and as a pod of dist/kubernetes/app-pod.yaml (the BPF file system mounted read-only elsewhere), with
 * numbers that agree with its own /proc (1% + 2 ms, pcount within 3); a user
 * outside it gets sampling with the reason; a member cannot remove pins, open the links, load or
 * attach programs, or open another member's region, but can replace another member's thread
 * entry, which that JVM then reports as lost; {@code top} of a foreign process through the host
 * publisher is BPF, and of another member's JVM samples the threads that JVM registered instead
 * of taking them away.
 */
class HostUsersTest {
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

    @Test
    void aMemberOfTheGroupGetsBpfModeThroughTheHostPublisher() throws Exception {
        List<String> out = fixture.run(As.MEMBER, false, 120, HostProbe.class, "self", "10");
        assertMemberSelf(out);
    }

    @Test
    void aMemberInItsOwnPidNamespaceGetsBpfModeToo() throws Exception {
        List<String> out = fixture.run(As.MEMBER, true, 120, HostProbe.class, "self", "10");
        assertMemberSelf(out);
    }

    @Test
    void aPodWithTheBpfFileSystemMountedReadOnlyAndTheGroupAsASupplementaryGroupGetsBpfMode() throws Exception {
        Path mountAt = Files.createTempDirectory("taskshared-pod-");
        try (HostFixture.Child c = fixture.startInContainer(As.MEMBER, mountAt, HostProbe.class, "self", "10")) {
            assertMemberSelf(c.finish(120), mountAt.resolve(fixture.dir().getFileName()));
        } finally {
            Files.delete(mountAt); // the bind mount lived in the child's mount namespace only
        }
    }

    private static void assertMemberSelf(List<String> out) {
        assertMemberSelf(out, fixture.dir());
    }

    private static void assertMemberSelf(List<String> out, Path dir) {
        String all = String.join("\n", out);
        assertThat(out).as(all).contains("mode BPF task_storage", "utime supported true", "checked 10");
        assertThat(out).as(all).anyMatch(l -> l.startsWith("why host publisher at " + dir));
        assertThat(out).as(all).anyMatch(l -> l.startsWith("doctor mode bpf host_publisher true version "));
        assertThat(out).as(all).noneMatch(l -> l.startsWith("MISMATCH"));
    }

    @Test
    void aUserOutsideTheGroupGetsSamplingAndTheReason() throws Exception {
        List<String> out = fixture.run(As.OUTSIDER, false, 60, HostProbe.class, "self", "0");
        String all = String.join("\n", out);
        assertThat(out).as(all).contains("mode SAMPLING procfs");
        String why = "is not in group " + fixture.group() + " (gid " + fixture.gid() + ")";
        assertThat(out).as(all).anyMatch(l -> l.startsWith("why ") && l.contains("host publisher: EACCES on " + fixture.dir()) && l.contains(why));
        assertThat(out).as(all).anyMatch(l -> l.startsWith("doctor mode sampling host_publisher false version null"));
        assertThat(out).as(all).anyMatch(l -> l.startsWith("doctor host_reason EACCES") && l.contains(why));
    }

    @Test
    void whatAMemberCanAndCannotDo() throws Exception {
        try (HostFixture.Child victim = fixture.start(As.MEMBER2, false, List.of(), HostProbe.class, "hold", "3", "busy")) {
            String ready = victim.await(l -> l.startsWith("ready "), 60);
            assertThat(victim.lines().get(0)).contains("BPF task_storage");
            String tid = ready.substring(6).split(",")[0];
            List<String> out = fixture.run(As.MEMBER, false, 60, HostProbe.class, "attack", fixture.dir().toString(),
                    Long.toString(victim.process().pid()), tid);
            String all = String.join("\n", out);
            for (String pin : HostPins.ALL) {
                assertThat(out).as(all).contains("unlink " + pin + ": EACCES");
            }
            assertThat(out).as(all).contains("create in dir: EACCES", "open switch_link: EACCES", "open info read-write: EACCES",
                    "load program: EPERM", "create map: EPERM", "attach seed to sched_switch: EINVAL", "attach seed_task to sched_switch: EINVAL",
                    "open region of " + victim.process().pid() + ": EACCES");
            // What it can do: take the victim's thread entry, with a slot in its own memory, which the kernel then writes.
            assertThat(out).as(all).contains("replace entry of " + tid + ": ALLOWED");
            assertThat(out).as(all).anyMatch(l -> l.matches("replaced entry: the kernel wrote pcount [1-9][0-9]* into the attacker's own page"));
            // The victim notices within its reaper's bound (one 1 s pass after two switch-ins) and says so.
            Thread.sleep(2_500);
            victim.send("check");
            String checked = victim.await(l -> l.startsWith("checked "), 30);
            assertThat(checked).as(String.join("\n", victim.lines())).isEqualTo("checked 2 lost 1");
            assertThat(victim.lines()).anyMatch(l -> l.startsWith("lost " + tid + " thread " + tid + "'s slot stopped being published"));
            assertThat(victim.lines()).noneMatch(l -> l.startsWith("MISMATCH"));
            victim.send("quit");
            victim.finish(30);
        }
    }

    @Test
    void topOfAForeignProcessIsBpfThroughTheHostPublisher() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:-UsePerfData", "-Xmx64m", "--enable-native-access=ALL-UNNAMED", "-cp",
                ChildJvm.classPath(), HostProbe.class.getName(), "work", "3"));
        try (HostFixture.Child foreign = HostFixture.Child.of(new ProcessBuilder(cmd).redirectErrorStream(true).start())) {
            foreign.await(l -> l.equals("ready"), 60);
            List<String> out = fixture.run(As.MEMBER, false, 60, HostProbe.class, "top", Long.toString(foreign.process().pid()));
            String all = String.join("\n", out);
            assertThat(out).as(all).anyMatch(l -> l.startsWith("top mode BPF sampled 0 threads "));
            assertThat(out).as(all).anyMatch(l -> l.startsWith("top source threads registered by this monitor: host publisher at " + fixture.dir()));
            assertThat(out).as(all).anyMatch(l -> l.matches("checked ([4-9]|[1-9][0-9]+)"));
            assertThat(out).as(all).noneMatch(l -> l.startsWith("MISMATCH"));
        }
    }

    @Test
    void topOfAnotherMembersJvmLeavesItsRegistrationsAlone() throws Exception {
        try (HostFixture.Child victim = fixture.start(As.MEMBER2, false, List.of(), HostProbe.class, "hold", "4", "busy")) {
            victim.await(l -> l.startsWith("ready "), 60);
            List<String> out = fixture.run(As.MEMBER, false, 60, HostProbe.class, "top", Long.toString(victim.process().pid()));
            String all = String.join("\n", out);
            assertThat(out).as(all).anyMatch(l -> l.startsWith("top mode BPF sampled 4 threads "));
            assertThat(out).as(all).noneMatch(l -> l.startsWith("MISMATCH"));
            Thread.sleep(2_500); // a registration taken away would be found by now
            victim.send("check");
            assertThat(victim.await(l -> l.startsWith("checked "), 30)).isEqualTo("checked 4 lost 0");
            assertThat(victim.lines()).noneMatch(l -> l.startsWith("MISMATCH"));
            victim.send("quit");
            victim.finish(30);
        }
    }
}
