package dev.taskshared.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class MainTest {
    /** A subcommand that fails at run time, to see how Main reports failures. */
    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("no such thing\nsecond line");
        }
    }

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private CommandLine commandLine() {
        CommandLine cmd = Main.newCommandLine();
        cmd.addSubcommand(new Fail());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        return cmd;
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        assertThat(commandLine().execute("frobnicate")).isEqualTo(2);
        assertThat(err.toString()).contains("frobnicate");
        assertThat(new CommandLine(new Main()).setErr(new PrintWriter(new StringWriter())).execute("frobnicate"))
                .isEqualTo(2);
    }

    @Test
    void noSubcommandIsAUsageError() {
        assertThat(commandLine().execute()).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("taskshared: missing a command (see: taskshared --help)" + System.lineSeparator());
    }

    @Test
    void runtimeFailureIsOneLineAndExitOne() {
        assertThat(commandLine().execute("fail")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("taskshared: no such thing second line" + System.lineSeparator());
    }

    @Test
    void verboseAddsTheStackTrace() {
        assertThat(commandLine().execute("fail", "--verbose")).isEqualTo(1);
        // A frame reads "at dev.taskshared.cli@<version>/dev.taskshared.cli.MainTest..." on the module path.
        assertThat(err.toString()).startsWith("taskshared: no such thing").contains("dev.taskshared.cli.MainTest$Fail.call(MainTest.java:");
    }

    @Test
    void versionAndHelp() {
        assertThat(commandLine().execute("--version")).isZero();
        assertThat(out.toString()).startsWith("taskshared ");
        assertThat(commandLine().execute("--help")).isZero();
        assertThat(out.toString()).contains("demo");
    }
}
