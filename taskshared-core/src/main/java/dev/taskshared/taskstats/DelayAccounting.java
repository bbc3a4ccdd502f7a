package dev.taskshared.taskstats;

import dev.taskshared.sys.Sysctl;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The kernel's delay-accounting switch, {@code /proc/sys/kernel/task_delayacct} (also the
 * {@code delayacct} boot parameter). While it is off, the blkio, swapin, freepages, thrashing,
 * compact, wpcopy and irq delays of {@link TaskStats} stay zero. Each call reads or writes the file
 * once; thread-safe.
 */
public final class DelayAccounting {
    private static final String NAME = "kernel.task_delayacct";
    public static final Path SYSCTL = Sysctl.path(NAME);

    private DelayAccounting() {
    }

    /** Whether the kernel has the switch at all (CONFIG_TASK_DELAY_ACCT, 5.14 and later). */
    public static boolean isAvailable() {
        return Files.exists(SYSCTL);
    }

    /** Whether delay accounting is on now; false when the kernel has no switch (or it cannot be read). */
    public static boolean isEnabled() {
        return Sysctl.tryRead(NAME).map("1"::equals).orElse(false);
    }

    /** Turns delay accounting on for every task (needs root / CAP_SYS_ADMIN); no-op when already on. */
    public static void enable() {
        set(true);
    }

    /** Turns delay accounting off (needs root / CAP_SYS_ADMIN). */
    public static void disable() {
        set(false);
    }

    /** Sets the switch; throws {@link IllegalStateException} saying why when the kernel refuses. */
    public static void set(boolean on) {
        if (isEnabled() == on) {
            return;
        }
        try {
            Files.writeString(SYSCTL, on ? "1\n" : "0\n");
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("cannot switch delay accounting: " + SYSCTL
                    + " does not exist (kernel without CONFIG_TASK_DELAY_ACCT, or older than 5.14: boot with 'delayacct')", e);
        } catch (AccessDeniedException e) {
            throw new IllegalStateException("cannot switch delay accounting: writing " + SYSCTL
                    + " was denied (needs root or CAP_SYS_ADMIN; or boot with 'delayacct')", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot switch delay accounting: writing " + SYSCTL + " failed: " + e.getMessage(), e);
        }
    }
}
