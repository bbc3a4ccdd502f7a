package dev.taskshared.bpf.asm;

/** Something a program can reference as a map: an open map's descriptor and a name for listings. */
public interface MapRef {
    /** The map's file descriptor, open at least until the program referencing it is loaded. */
    int fd();

    /** A name for the disassembler; may be empty. */
    String name();

    /** Descriptor {@code fd} under {@code name}, for programs built but not loaded (digests, tests). */
    static MapRef of(int fd, String name) {
        record Fixed(int fd, String name) implements MapRef {
        }
        return new Fixed(fd, name);
    }
}
