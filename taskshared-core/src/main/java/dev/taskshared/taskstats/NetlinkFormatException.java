package dev.taskshared.taskstats;

/**
 * Bytes from the kernel (or a fixture) do not frame as netlink / genetlink / taskstats: a
 * truncated header, an attribute whose length is below its header or runs past its parent, a
 * struct shorter than its version needs. The message names the structure, the offset and the
 * lengths involved.
 */
public class NetlinkFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NetlinkFormatException(String message) {
        super(message);
    }
}
