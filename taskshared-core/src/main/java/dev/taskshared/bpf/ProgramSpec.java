package dev.taskshared.bpf;

import dev.taskshared.bpf.asm.Instructions;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to load: type, instructions, license, name, {@code expected_attach_type} and
 * {@code attach_btf_id} (for BTF-typed programs), and the verifier log level to load with (0: only
 * on failure, as cilium does; 1 or 2: always, the log is then kept on the program).
 */
public record ProgramSpec(ProgramType type, Instructions instructions, String license, String name, AttachType expectedAttachType,
        int attachBtfId, int logLevel, int flags) {
    /** BPF_F_SLEEPABLE: the program may sleep (required of {@link ProgramType#SYSCALL} programs). */
    public static final int F_SLEEPABLE = 1 << 4;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.]{0,15}");

    public ProgramSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(instructions, "instructions");
        license = license == null ? "GPL" : license;
        name = name == null ? "" : name;
        expectedAttachType = expectedAttachType == null ? AttachType.NONE : expectedAttachType;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("program name '" + name + "': at most 15 of [A-Za-z0-9_.]");
        }
    }

    /** A GPL program of {@code type}, no name, verifier log only on failure. */
    public static ProgramSpec of(ProgramType type, Instructions instructions) {
        return new ProgramSpec(type, instructions, "GPL", "", AttachType.NONE, 0, 0, 0);
    }

    public ProgramSpec named(String newName) {
        return new ProgramSpec(type, instructions, license, newName, expectedAttachType, attachBtfId, logLevel, flags);
    }

    public ProgramSpec withLicense(String newLicense) {
        return new ProgramSpec(type, instructions, newLicense, name, expectedAttachType, attachBtfId, logLevel, flags);
    }

    public ProgramSpec withAttach(AttachType attachType, int btfId) {
        return new ProgramSpec(type, instructions, license, name, attachType, btfId, logLevel, flags);
    }

    /** Loads with the verifier log at {@code level} (1: instructions and states, 2: more, 4: stats only). */
    public ProgramSpec withLogLevel(int level) {
        return new ProgramSpec(type, instructions, license, name, expectedAttachType, attachBtfId, level, flags);
    }

    /** Loads with {@code prog_flags} set to {@code newFlags} (for example {@link #F_SLEEPABLE}). */
    public ProgramSpec withFlags(int newFlags) {
        return new ProgramSpec(type, instructions, license, name, expectedAttachType, attachBtfId, logLevel, newFlags);
    }
}
