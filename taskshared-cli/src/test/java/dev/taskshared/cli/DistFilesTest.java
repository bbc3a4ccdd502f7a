package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The files under dist/ agree with the command they run and with each other: every taskshared
 * command line in the systemd unit and the DaemonSet parses as this CLI's, the unit starts with
 * install and stops with uninstall of the same directory, and the application pod points the
 * library at the pin directory inside its mount of the BPF file system and carries the group the
 * DaemonSet installs for. (What they do on a node is tested by HostUsersTest and
 * PublisherCommandTest.)
 */
class DistFilesTest {
    private static final Path DIST = Path.of("..", "dist");

    @Test
    void theSystemdUnitInstallsOnStartAndUninstallsOnStop() throws IOException {
        String unit = Files.readString(DIST.resolve("systemd/taskshared-publisher.service"));
        assertThat(unit).contains("Type=oneshot", "RemainAfterExit=yes");
        List<String> start = commandAfter(unit, "ExecStart=/opt/taskshared/taskshared ");
        List<String> stop = commandAfter(unit, "ExecStop=/opt/taskshared/taskshared ");
        assertThat(start.subList(0, 2)).containsExactly("publisher", "install");
        assertThat(stop.subList(0, 2)).containsExactly("publisher", "uninstall");
        assertParses(start);
        assertParses(stop);
        assertThat(option(start, "--dir")).isEqualTo(option(stop, "--dir")).isEqualTo("/sys/fs/bpf/taskshared");
    }

    @Test
    void theDaemonSetAndTheAppPodAgree() throws IOException {
        String daemonSet = Files.readString(DIST.resolve("kubernetes/publisher-daemonset.yaml"));
        String pod = Files.readString(DIST.resolve("kubernetes/app-pod.yaml"));
        List<List<String>> commands = new ArrayList<>();
        for (String line : daemonSet.lines().toList()) {
            Matcher m = Pattern.compile("(?:^|[ '])taskshared (publisher [^;']+)").matcher(line);
            while (m.find()) {
                commands.add(Arrays.asList(m.group(1).strip().split("\\s+")));
            }
        }
        assertThat(commands).extracting(c -> c.get(1)).containsExactly("install", "uninstall");
        commands.forEach(DistFilesTest::assertParses);
        String gid = option(commands.get(0), "--group");
        assertThat(gid).as("a gid: the pod's user need not exist on the node").matches("[0-9]+");
        assertThat(pod).containsPattern("supplementalGroups: \\[" + gid + "\\]");

        String pinDir = option(commands.get(0), "--dir");
        assertThat(pinDir).startsWith("/sys/fs/bpf/");
        assertThat(daemonSet).contains("path: /sys/fs/bpf\n");
        assertThat(pod).contains("path: /sys/fs/bpf\n");
        Matcher mount = Pattern.compile("mountPath: (\\S+)").matcher(pod);
        assertThat(mount.find()).isTrue();
        String inPod = mount.group(1) + pinDir.substring("/sys/fs/bpf".length());
        assertThat(pod).contains("-Dtaskshared.hostPublisher=" + inPod + "\"", "--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void theImageRunsTheCliOnTheModulePathWithNativeAccess() throws IOException {
        String launcher = Files.readString(DIST.resolve("container/taskshared"));
        assertThat(launcher).contains("--enable-native-access=dev.taskshared.core", "--module-path /opt/taskshared/lib",
                "-m dev.taskshared.cli/dev.taskshared.cli.Main \"$@\"");
        assertThat(Files.isExecutable(DIST.resolve("container/taskshared"))).isTrue();
        assertThat(Files.readString(DIST.resolve("container/Containerfile")))
                .contains("COPY dist/container/taskshared /usr/local/bin/taskshared", "FROM eclipse-temurin:25");
    }

    private static List<String> commandAfter(String text, String prefix) {
        String line = text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no " + prefix));
        return Arrays.asList(line.substring(prefix.length()).strip().split("\\s+"));
    }

    private static String option(List<String> command, String name) {
        int i = command.indexOf(name);
        assertThat(i).as(name + " in " + command).isNotNegative();
        return command.get(i + 1);
    }

    private static void assertParses(List<String> command) {
        CommandLine cl = Main.newCommandLine();
        cl.parseArgs(command.toArray(String[]::new)); // throws ParameterException on an unknown option or subcommand
        assertThat(cl.getParseResult().subcommand().subcommand().commandSpec().name()).isEqualTo(command.get(1));
    }
}
