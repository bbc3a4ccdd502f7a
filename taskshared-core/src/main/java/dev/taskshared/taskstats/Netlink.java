package dev.taskshared.taskstats;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.taskshared.sys.ErrnoException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Netlink and generic-netlink framing, as bytes in host order. The three headers, declared once:
 *
 * <pre>
 * nlmsghdr (16)                 genlmsghdr (4)                 nlattr (4, then value, padded to 4)
 *  0 u32 nlmsg_len (incl. hdr)   0 u8  cmd                      0 u16 nla_len (incl. hdr, excl. pad)
 *  4 u16 nlmsg_type              1 u8  version                  2 u16 nla_type (bit 15 NESTED,
 *  6 u16 nlmsg_flags             2 u16 reserved                           bit 14 NET_BYTEORDER)
 *  8 u32 nlmsg_seq
 * 12 u32 nlmsg_pid (port id)
 * </pre>
 *
 * A datagram holds one or more messages, each aligned to 4 ({@link #align}); a genetlink
 * message is nlmsghdr, genlmsghdr, then attributes, which may nest. Every slice is bounds-checked
 * here, before it is read, and a bad length is a {@link NetlinkFormatException} naming the
 * structure, its offset and the lengths, never an index error from deep inside.
 */
final class Netlink {
    static final int NLMSG_HDRLEN = 16;
    static final int NLMSG_LEN = 0;
    static final int NLMSG_TYPE = 4;
    static final int NLMSG_FLAGS = 6;
    static final int NLMSG_SEQ = 8;
    static final int NLMSG_PID = 12;

    static final int GENL_HDRLEN = 4;
    static final int GENL_CMD = 0;
    static final int GENL_VERSION = 1;

    static final int NLA_HDRLEN = 4;
    static final int NLA_LEN = 0;
    static final int NLA_TYPE = 2;
    static final int NLA_F_NESTED = 0x8000;
    static final int NLA_F_NET_BYTEORDER = 0x4000;
    static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

    // nlmsg_type values below NLMSG_MIN_TYPE are control messages.
    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    /** In an NLMSG_ERROR: extended-ack attributes follow the echoed header. */
    static final int NLM_F_ACK_TLVS = 0x200;
    /** In an NLMSG_ERROR: the request's payload was not echoed (NETLINK_CAP_ACK). */
    static final int NLM_F_CAPPED = 0x100;
    static final int NLMSGERR_ATTR_MSG = 1;

    // The genetlink controller.
    static final int GENL_ID_CTRL = 0x10;
    static final int CTRL_CMD_GETFAMILY = 3;
    static final int CTRL_ATTR_FAMILY_ID = 1;
    static final int CTRL_ATTR_FAMILY_NAME = 2;
    static final int CTRL_ATTR_VERSION = 3;

    private Netlink() {
    }

    /** NLMSG_ALIGN / NLA_ALIGN: rounds up to a multiple of 4. */
    static int align(int length) {
        return (length + 3) & ~3;
    }

    // ------------------------------------------------------------------------------- parsing

    /** One message of a datagram; {@code payload} is what follows the nlmsghdr, {@code offset} where it began. */
    record Message(int type, int flags, int seq, int portId, MemorySegment payload, long offset) {
        boolean isError() {
            return type == NLMSG_ERROR;
        }

        boolean isDone() {
            return type == NLMSG_DONE;
        }
    }

    /** Splits the first {@code length} bytes of {@code datagram} into messages. */
    static List<Message> messages(MemorySegment datagram, long length) {
        if (length > datagram.byteSize()) {
            throw new NetlinkFormatException("netlink datagram of " + length + " bytes was truncated to the "
                    + datagram.byteSize() + "-byte receive buffer");
        }
        List<Message> out = new ArrayList<>(2);
        long off = 0;
        while (off < length) {
            long left = length - off;
            if (left < NLMSG_HDRLEN) {
                throw new NetlinkFormatException("nlmsghdr at offset " + off + " is truncated: " + left
                        + " bytes left, the header needs " + NLMSG_HDRLEN);
            }
            long len = Integer.toUnsignedLong(datagram.get(JAVA_INT_UNALIGNED, off + NLMSG_LEN));
            if (len < NLMSG_HDRLEN) {
                throw new NetlinkFormatException("nlmsghdr at offset " + off + ": nlmsg_len " + len
                        + " is below the header size " + NLMSG_HDRLEN);
            }
            if (len > left) {
                throw new NetlinkFormatException("nlmsghdr at offset " + off + ": nlmsg_len " + len
                        + " runs past the end of the datagram (" + left + " bytes left)");
            }
            out.add(new Message(
                    Short.toUnsignedInt(datagram.get(JAVA_SHORT_UNALIGNED, off + NLMSG_TYPE)),
                    Short.toUnsignedInt(datagram.get(JAVA_SHORT_UNALIGNED, off + NLMSG_FLAGS)),
                    datagram.get(JAVA_INT_UNALIGNED, off + NLMSG_SEQ),
                    datagram.get(JAVA_INT_UNALIGNED, off + NLMSG_PID),
                    datagram.asSlice(off + NLMSG_HDRLEN, len - NLMSG_HDRLEN),
                    off));
            off += Math.min(align((int) len), left);
        }
        return out;
    }

    /**
     * For an NLMSG_ERROR: the errno it carries (0 is a plain ack). Layout: {@code s32 error}
     * (negative errno), the request's nlmsghdr (and its payload unless capped), then, with
     * NLM_F_ACK_TLVS, extended-ack attributes.
     */
    static int errorCode(Message m) {
        if (m.payload().byteSize() < 4) {
            throw new NetlinkFormatException("NLMSG_ERROR at offset " + m.offset() + " has " + m.payload().byteSize()
                    + " payload bytes, the error code needs 4");
        }
        return -m.payload().get(JAVA_INT_UNALIGNED, 0);
    }

    /** The extended-ack text of an NLMSG_ERROR, or null. */
    static String extAckMessage(Message m) {
        if ((m.flags() & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        long start = 4 + NLMSG_HDRLEN;
        if ((m.flags() & NLM_F_CAPPED) == 0 && m.payload().byteSize() >= start) {
            start = 4 + Integer.toUnsignedLong(m.payload().get(JAVA_INT_UNALIGNED, 4)); // echoed request length
        }
        if (start > m.payload().byteSize()) {
            return null;
        }
        for (Attr a : attributes(m.payload().asSlice(start), "extended ack")) {
            if (a.type() == NLMSGERR_ATTR_MSG) {
                return a.string();
            }
        }
        return null;
    }

    /** Throws {@link ErrnoException} for an NLMSG_ERROR carrying an errno; returns for anything else. */
    static void throwIfError(Message m, String operation) {
        if (m.isError()) {
            int errno = errorCode(m);
            if (errno != 0) {
                throw new ErrnoException(operation, errno, extAckMessage(m));
            }
        }
    }

    /** A generic-netlink message: its command, version and top-level attributes. */
    record GenlMessage(int family, int cmd, int version, List<Attr> attributes) {
        Attr first(int type) {
            for (Attr a : attributes) {
                if (a.type() == type) {
                    return a;
                }
            }
            return null;
        }
    }

    static GenlMessage genl(Message m) {
        if (m.payload().byteSize() < GENL_HDRLEN) {
            throw new NetlinkFormatException("genlmsghdr in message at offset " + m.offset() + " is truncated: "
                    + m.payload().byteSize() + " bytes, the header needs " + GENL_HDRLEN);
        }
        return new GenlMessage(m.type(),
                Byte.toUnsignedInt(m.payload().get(JAVA_BYTE, GENL_CMD)),
                Byte.toUnsignedInt(m.payload().get(JAVA_BYTE, GENL_VERSION)),
                attributes(m.payload().asSlice(GENL_HDRLEN), "genetlink message type " + m.type()));
    }

    /** One attribute: its type (flags stripped), whether it is marked nested, and its value bytes. */
    record Attr(int type, boolean nestedFlag, MemorySegment value, String context) {
        private void need(int bytes, String what) {
            if (value.byteSize() < bytes) {
                throw new NetlinkFormatException(context + ": attribute type " + type + " has " + value.byteSize()
                        + " value bytes, a " + what + " needs " + bytes);
            }
        }

        int u8() {
            need(1, "u8");
            return Byte.toUnsignedInt(value.get(JAVA_BYTE, 0));
        }

        int u16() {
            need(2, "u16");
            return Short.toUnsignedInt(value.get(JAVA_SHORT_UNALIGNED, 0));
        }

        int u32() {
            need(4, "u32");
            return value.get(JAVA_INT_UNALIGNED, 0);
        }

        long u64() {
            need(8, "u64");
            return value.get(JAVA_LONG_UNALIGNED, 0);
        }

        /** A NUL-terminated (or exactly sized) string. */
        String string() {
            byte[] bytes = value.toArray(JAVA_BYTE);
            int n = 0;
            while (n < bytes.length && bytes[n] != 0) {
                n++;
            }
            return new String(bytes, 0, n, StandardCharsets.UTF_8);
        }

        /** The attributes nested in this one; a child overrunning this attribute is an error. */
        List<Attr> nested() {
            return attributes(value, context + " > attribute type " + type);
        }
    }

    /** Parses a run of attributes filling {@code region} exactly (the last one's padding may be absent). */
    static List<Attr> attributes(MemorySegment region, String context) {
        List<Attr> out = new ArrayList<>(4);
        long size = region.byteSize();
        long off = 0;
        while (off < size) {
            long left = size - off;
            if (left < NLA_HDRLEN) {
                throw new NetlinkFormatException(context + ": " + left + " trailing bytes at offset " + off
                        + " are too short for an nlattr header (" + NLA_HDRLEN + ")");
            }
            int len = Short.toUnsignedInt(region.get(JAVA_SHORT_UNALIGNED, off + NLA_LEN));
            int rawType = Short.toUnsignedInt(region.get(JAVA_SHORT_UNALIGNED, off + NLA_TYPE));
            int type = rawType & NLA_TYPE_MASK;
            if (len < NLA_HDRLEN) {
                throw new NetlinkFormatException(context + ": nlattr at offset " + off + " (type " + type
                        + ") has length " + len + ", below the " + NLA_HDRLEN + "-byte header");
            }
            if (len > left) {
                throw new NetlinkFormatException(context + ": nlattr at offset " + off + " (type " + type
                        + ") has length " + len + ", past the end of its parent (" + left + " bytes left)");
            }
            out.add(new Attr(type, (rawType & NLA_F_NESTED) != 0, region.asSlice(off + NLA_HDRLEN, len - NLA_HDRLEN), context));
            off += Math.min(align(len), left);
        }
        return out;
    }

    // ------------------------------------------------------------------------------ building

    /** Writes one generic-netlink request; {@link #finish} fills in nlmsg_len. Not thread-safe. */
    static final class Builder {
        private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        private final int[] nestStarts = new int[8];
        private int depth;

        Builder(int family, int flags, int seq, int portId, int cmd, int version) {
            buf.putInt(0).putShort((short) family).putShort((short) flags).putInt(seq).putInt(portId);
            buf.put((byte) cmd).put((byte) version).putShort((short) 0);
        }

        private void room(int bytes) {
            if (buf.remaining() < bytes) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + bytes)).order(ByteOrder.nativeOrder());
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        private Builder attr(int type, byte[] value) {
            int len = NLA_HDRLEN + value.length;
            if (len > 0xffff) {
                throw new IllegalArgumentException("attribute type " + type + " of " + value.length + " bytes does not fit nla_len");
            }
            room(align(len));
            buf.putShort((short) len).putShort((short) type).put(value);
            for (int i = len; i < align(len); i++) {
                buf.put((byte) 0);
            }
            return this;
        }

        Builder u16(int type, int value) {
            return attr(type, ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) value).array());
        }

        Builder u32(int type, int value) {
            return attr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
        }

        /** A string attribute with its terminating NUL, as the kernel's NLA_STRING / NLA_NUL_STRING expect. */
        Builder string(int type, String value) {
            byte[] s = value.getBytes(StandardCharsets.UTF_8);
            return attr(type, Arrays.copyOf(s, s.length + 1));
        }

        Builder beginNested(int type) {
            room(NLA_HDRLEN);
            nestStarts[depth++] = buf.position();
            buf.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
            return this;
        }

        Builder endNested() {
            int start = nestStarts[--depth];
            buf.putShort(start, (short) (buf.position() - start));
            return this;
        }

        byte[] finish() {
            if (depth != 0) {
                throw new IllegalStateException(depth + " nested attributes left open");
            }
            buf.putInt(NLMSG_LEN, buf.position());
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }
}
