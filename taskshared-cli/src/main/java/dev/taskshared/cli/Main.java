package dev.taskshared.cli;

import java.io.PrintWriter;
import java.io.InputStream;
import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code taskshared} command. Each subcommand is a picocli class in this package that parses,
 * calls the library and formats; to add one, list its class in {@code subcommands} below.
 *
 * <p>Exit codes: 0 ok; 1 runtime failure, reported as one line {@code taskshared: <message>} on
 * stderr (the stack trace too with {@code --verbose} or {@code TASKSHARED_DEBUG=1}); 2 usage error,
 * also one line, {@code taskshared: <message> (see: taskshared <command> --help)}, never a usage
 * dump. A command reports bad input that picocli cannot check itself by throwing
 * {@link #usageError}. {@link #newCommandLine()} sets that up; {@code new CommandLine(new Main())}
 * gives picocli's defaults, which tests of the formatting must not use.
 */
@Command(name = "taskshared", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false,
        description = "Per-thread scheduler statistics (CPU time, off-CPU, run-queue delay, switches, current CPU)"
                + " for JVM threads, read with plain memory loads.",
        subcommands = {
            DoctorCommand.class,
            DemoCommand.class,
            TopCommand.class,
            ExitsCommand.class,
            BenchCommand.class,
            PublisherCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Main implements Callable<Integer> {
    /** Exit code of a runtime failure. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of a usage error (picocli's default). */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On failure, print the stack trace too (also: TASKSHARED_DEBUG=1).")
    boolean verbose;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        int code;
        try {
            code = newCommandLine().execute(args);
        } catch (Throwable t) { // an Error thrown past picocli: still one line, still exit 1
            report(new PrintWriter(System.err, true), t, debugFromEnvironment());
            code = EXIT_FAILURE;
        }
        System.exit(code);
    }

    /** The command line with taskshared's failure reporting: one line, trace only when asked. */
    public static CommandLine newCommandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            report(cmd.getErr(), ex, main.verbose || debugFromEnvironment());
            return EXIT_FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("taskshared: " + message(ex) + " (see: " + cmd.getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return EXIT_USAGE;
        });
        return cl;
    }

    /** A usage error of {@code spec}'s command: exit 2, one line with a hint to its --help. */
    public static CommandLine.ParameterException usageError(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * A failure the kernel refused for lack of privilege, said the way a user can act on: what
     * {@code what} needs ({@code capability}) and what to run instead.
     */
    public static IllegalStateException needsPrivilege(String what, String capability, Throwable cause) {
        return new IllegalStateException(what + " needs " + capability + ": run as root or with sudo (the kernel said: "
                + message(cause) + ")", cause);
    }

    /** Whether {@code t} or one of its causes is the kernel refusing for lack of privilege (EPERM, EACCES). */
    public static boolean isPermissionDenied(Throwable t) {
        for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof dev.taskshared.sys.ErrnoException ee
                    && (ee.errno() == dev.taskshared.sys.Errno.EPERM || ee.errno() == dev.taskshared.sys.Errno.EACCES)) {
                return true;
            }
            if (e instanceof java.nio.file.AccessDeniedException) {
                return true;
            }
        }
        return false;
    }

    /** No subcommand: a usage error. */
    @Override
    public Integer call() {
        throw usageError(spec, "missing a command");
    }

    static void report(PrintWriter err, Throwable t, boolean withTrace) {
        err.println("taskshared: " + message(t));
        if (withTrace) {
            t.printStackTrace(err);
        }
        err.flush();
    }

    /** A one-line description of a failure: its message, or its innermost cause's, or its type. */
    static String message(Throwable t) {
        Throwable e = t;
        while ((e instanceof ExceptionInInitializerError || e.getMessage() == null || e.getMessage().isBlank())
                && e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        String m = e.getMessage();
        String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        return text.replace('\n', ' ');
    }

    private static boolean debugFromEnvironment() {
        String d = System.getenv("TASKSHARED_DEBUG");
        return d != null && !d.isEmpty() && !d.equals("0");
    }

    /** Version from the jar's Maven metadata, plus the runtime it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = "dev";
            try (InputStream in = Main.class.getResourceAsStream(
                    "/META-INF/maven/dev.taskshared/taskshared-cli/pom.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    v = p.getProperty("version", v);
                }
            } catch (IOException ignored) {
                // keep "dev"
            }
            return new String[] {
                "taskshared " + v,
                "java " + Runtime.version() + " (" + System.getProperty("java.vendor", "?") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
            };
        }
    }
}
