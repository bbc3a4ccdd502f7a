package dev.taskshared.taskstats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.sys.ErrnoException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Framing against golden bytes: replies captured from a 6.18 kernel (taskstats version 16), and hand-built damage. */
class NetlinkTest {

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = NetlinkTest.class.getResourceAsStream("/taskstats/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static MemorySegment seg(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    @Test
    void builderWritesTheHeadersAndPaddedAttributes() {
        byte[] msg = new Netlink.Builder(0x10, Netlink.NLM_F_REQUEST, 7, 0, Netlink.CTRL_CMD_GETFAMILY, 1)
                .string(Netlink.CTRL_ATTR_FAMILY_NAME, "TASKSTATS").finish();
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder());
        assertThat(msg).hasSize(16 + 4 + 4 + 12); // "TASKSTATS\0" is 10 bytes, padded to 12
        assertThat(b.getInt(0)).isEqualTo(36);
        assertThat(b.getShort(4)).isEqualTo((short) 0x10);
        assertThat(b.getShort(6)).isEqualTo((short) 1);
        assertThat(b.getInt(8)).isEqualTo(7);
        assertThat(msg[16]).isEqualTo((byte) 3);
        assertThat(msg[17]).isEqualTo((byte) 1);
        assertThat(b.getShort(20)).isEqualTo((short) 14); // nla_len excludes the padding
        assertThat(b.getShort(22)).isEqualTo((short) 2);
        assertThat(new String(msg, 24, 9)).isEqualTo("TASKSTATS");
        assertThat(msg[33]).isZero();

        Netlink.Message m = Netlink.messages(seg(msg), msg.length).getFirst();
        Netlink.GenlMessage g = Netlink.genl(m);
        assertThat(g.cmd()).isEqualTo(3);
        assertThat(g.first(2).string()).isEqualTo("TASKSTATS");
    }

    @Test
    void nestedAttributesRoundTrip() {
        byte[] msg = new Netlink.Builder(31, 1, 1, 0, 2, 1)
                .beginNested(4).u32(1, 1234).u16(9, 7).endNested().u32(2, 99).finish();
        Netlink.GenlMessage g = Netlink.genl(Netlink.messages(seg(msg), msg.length).getFirst());
        assertThat(g.attributes()).hasSize(2);
        Netlink.Attr outer = g.attributes().get(0);
        assertThat(outer.type()).isEqualTo(4);
        assertThat(outer.nestedFlag()).isTrue();
        List<Netlink.Attr> inner = outer.nested();
        assertThat(inner.get(0).u32()).isEqualTo(1234);
        assertThat(inner.get(1).u16()).isEqualTo(7);
        assertThat(g.attributes().get(1).u32()).isEqualTo(99);
    }

    @Test
    void alignRoundsUpToFour() {
        assertThat(Netlink.align(0)).isZero();
        assertThat(Netlink.align(1)).isEqualTo(4);
        assertThat(Netlink.align(4)).isEqualTo(4);
        assertThat(Netlink.align(14)).isEqualTo(16);
    }

    @Test
    void capturedGetFamilyReply() throws IOException {
        byte[] b = fixture("getfamily-reply.bin");
        List<Netlink.Message> ms = Netlink.messages(seg(b), b.length);
        assertThat(ms).hasSize(1);
        Netlink.GenlMessage g = Netlink.genl(ms.getFirst());
        assertThat(g.family()).isEqualTo(Netlink.GENL_ID_CTRL);
        assertThat(g.first(Netlink.CTRL_ATTR_FAMILY_NAME).string()).isEqualTo("TASKSTATS");
        assertThat(g.first(Netlink.CTRL_ATTR_FAMILY_ID).u16()).isEqualTo(31);
        assertThat(g.first(Netlink.CTRL_ATTR_VERSION).u32()).isEqualTo(1);
    }

    @Test
    void capturedPidReplyDecodes() throws IOException {
        byte[] b = fixture("query-pid-reply.bin");
        Netlink.GenlMessage g = Netlink.genl(Netlink.messages(seg(b), b.length).getFirst());
        assertThat(g.cmd()).isEqualTo(TaskstatsProtocol.CMD_NEW);
        List<TaskstatsProtocol.Aggregate> aggs = TaskstatsProtocol.aggregates(g);
        assertThat(aggs).hasSize(1);
        TaskstatsProtocol.Aggregate a = aggs.getFirst();
        assertThat(a.kind()).isEqualTo(ExitRecord.Kind.TASK);
        assertThat(a.id()).isEqualTo(19782);
        TaskStats s = a.stats();
        assertThat(s.version()).isEqualTo(16);
        assertThat(s.structLength()).isEqualTo(560);
        assertThat(s.comm()).isEqualTo("sleep");
        assertThat(s.value(TaskStats.Field.AC_PID)).isEqualTo(19782);
        assertThat(s.value(TaskStats.Field.AC_TGID)).isEqualTo(19782);
        assertThat(s.value(TaskStats.Field.CPU_COUNT)).isEqualTo(9);
        assertThat(s.value(TaskStats.Field.CPU_RUN_VIRTUAL_TOTAL)).isEqualTo(1044378);
        assertThat(s.has(TaskStats.Field.IRQ_DELAY_MIN)).isTrue();
        assertThat(s.value(TaskStats.Field.AC_BTIME64)).isEqualTo(s.value(TaskStats.Field.AC_BTIME));
    }

    @Test
    void capturedExitWithTaskAndThreadGroup() throws IOException {
        byte[] b = fixture("exit-task-and-group.bin");
        Netlink.Message m = Netlink.messages(seg(b), b.length).getFirst();
        assertThat(m.seq()).isZero();
        assertThat(m.portId()).isZero(); // events come from the kernel, not as an answer
        List<TaskstatsProtocol.Aggregate> aggs = TaskstatsProtocol.aggregates(Netlink.genl(m));
        assertThat(aggs).extracting(TaskstatsProtocol.Aggregate::kind)
                .containsExactly(ExitRecord.Kind.TASK, ExitRecord.Kind.THREAD_GROUP);
        assertThat(aggs).extracting(TaskstatsProtocol.Aggregate::id).containsExactly(19783, 19783);
        assertThat(aggs.get(0).stats().comm()).isEqualTo("python3");
        assertThat(aggs.get(1).stats().value(TaskStats.Field.AC_UTIME)).isEqualTo(24000);
    }

    @Test
    void capturedErrorBecomesErrnoException() throws IOException {
        byte[] b = fixture("query-esrch-reply.bin");
        Netlink.Message m = Netlink.messages(seg(b), b.length).getFirst();
        assertThat(m.isError()).isTrue();
        assertThat(Netlink.errorCode(m)).isEqualTo(3);
        assertThatThrownBy(() -> Netlink.throwIfError(m, "TASKSTATS_CMD_GET(pid 4194303)"))
                .isInstanceOf(ErrnoException.class)
                .hasMessageStartingWith("TASKSTATS_CMD_GET(pid 4194303): ESRCH")
                .extracting(e -> ((ErrnoException) e).errnoName()).isEqualTo("ESRCH");
    }

    @Test
    void ackIsNotAnError() {
        ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
        b.putInt(36).putShort((short) Netlink.NLMSG_ERROR).putShort((short) 0x100).putInt(5).putInt(77);
        b.putInt(0).putInt(16).putShort((short) 31).putShort((short) 5).putInt(5).putInt(77);
        Netlink.Message m = Netlink.messages(seg(b.array()), 36).getFirst();
        Netlink.throwIfError(m, "ack");
        assertThat(Netlink.errorCode(m)).isZero();
    }

    @Test
    void extendedAckTextIsInTheException() {
        byte[] text = "no such thing\0\0\0".getBytes();
        ByteBuffer b = ByteBuffer.allocate(16 + 4 + 16 + 4 + 16).order(ByteOrder.nativeOrder());
        b.putInt(b.capacity()).putShort((short) Netlink.NLMSG_ERROR)
                .putShort((short) (Netlink.NLM_F_CAPPED | Netlink.NLM_F_ACK_TLVS)).putInt(5).putInt(77);
        b.putInt(-22).putInt(20).putShort((short) 31).putShort((short) 5).putInt(5).putInt(77);
        b.putShort((short) 18).putShort((short) Netlink.NLMSGERR_ATTR_MSG).put(text, 0, 16);
        Netlink.Message m = Netlink.messages(seg(b.array()), b.capacity()).getFirst();
        assertThatThrownBy(() -> Netlink.throwIfError(m, "op"))
                .hasMessage("op: EINVAL (Invalid argument): no such thing");
    }

    @Test
    void doneMessage() {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        b.putInt(20).putShort((short) Netlink.NLMSG_DONE).putShort((short) Netlink.NLM_F_MULTI).putInt(1).putInt(1).putInt(0);
        assertThat(Netlink.messages(seg(b.array()), 20).getFirst().isDone()).isTrue();
    }

    // ------------------------------------------------------------------------- damage

    @Test
    void truncatedMessageHeader() {
        assertThatThrownBy(() -> Netlink.messages(seg(new byte[10]), 10))
                .isInstanceOf(NetlinkFormatException.class)
                .hasMessage("nlmsghdr at offset 0 is truncated: 10 bytes left, the header needs 16");
    }

    @Test
    void messageLengthBeyondDatagram() throws IOException {
        byte[] b = fixture("query-pid-reply.bin");
        assertThatThrownBy(() -> Netlink.messages(seg(b), 300))
                .isInstanceOf(NetlinkFormatException.class)
                .hasMessage("nlmsghdr at offset 0: nlmsg_len 596 runs past the end of the datagram (300 bytes left)");
    }

    @Test
    void messageLengthBelowHeader() {
        byte[] b = new byte[16];
        b[0] = 8;
        assertThatThrownBy(() -> Netlink.messages(seg(b), 16))
                .hasMessage("nlmsghdr at offset 0: nlmsg_len 8 is below the header size 16");
    }

    @Test
    void attributeShorterThanItsHeader() {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        b.putShort((short) 2).putShort((short) 4);
        assertThatThrownBy(() -> Netlink.attributes(seg(b.array()), "test"))
                .isInstanceOf(NetlinkFormatException.class)
                .hasMessage("test: nlattr at offset 0 (type 4) has length 2, below the 4-byte header");
    }

    @Test
    void attributeLongerThanTheBuffer() {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
        b.putShort((short) 8).putShort((short) 1).putInt(42).putShort((short) 40).putShort((short) 3);
        assertThatThrownBy(() -> Netlink.attributes(seg(b.array()), "test"))
                .hasMessage("test: nlattr at offset 8 (type 3) has length 40, past the end of its parent (4 bytes left)");
    }

    @Test
    void trailingBytesTooShortForAnAttribute() {
        ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.nativeOrder());
        b.putShort((short) 8).putShort((short) 1).putInt(42);
        assertThatThrownBy(() -> Netlink.attributes(seg(b.array()), "test"))
                .hasMessage("test: 2 trailing bytes at offset 8 are too short for an nlattr header (4)");
    }

    @Test
    void nestedAttributeOverrunningItsParent() throws IOException {
        byte[] b = fixture("query-pid-reply.bin").clone();
        // The TYPE_STATS attribute inside AGGR_PID starts at 16 + 4 + 4 + 8: claim 8 more bytes than its parent holds.
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        int statsAt = 16 + 4 + 4 + 8;
        assertThat(bb.getShort(statsAt + 2)).isEqualTo((short) TaskstatsProtocol.TYPE_STATS);
        bb.putShort(statsAt, (short) 572);
        Netlink.GenlMessage g = Netlink.genl(Netlink.messages(seg(b), b.length).getFirst());
        assertThatThrownBy(() -> TaskstatsProtocol.aggregates(g))
                .isInstanceOf(NetlinkFormatException.class)
                .hasMessage("genetlink message type 31 > attribute type 4: nlattr at offset 8 (type 3) has length 572, "
                        + "past the end of its parent (564 bytes left)");
    }

    @Test
    void truncatedStructIsRejectedByVersionAndLength() throws IOException {
        byte[] b = fixture("query-pid-reply.bin").clone();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        int statsAt = 16 + 4 + 4 + 8;
        // Shrink TYPE_STATS to 400 bytes of struct while the version still says 16.
        bb.putShort(statsAt, (short) (4 + 400));
        bb.putShort(16 + 4, (short) (4 + 8 + 4 + 400));
        bb.putInt(0, 16 + 4 + 4 + 8 + 4 + 400);
        Netlink.GenlMessage g = Netlink.genl(Netlink.messages(seg(b), 16 + 4 + 4 + 8 + 4 + 400).getFirst());
        assertThatThrownBy(() -> TaskstatsProtocol.aggregates(g))
                .isInstanceOf(NetlinkFormatException.class)
                .hasMessage("struct taskstats version 16 is 400 bytes, the version needs at least 560");
    }

    @Test
    void shortValueForItsType() {
        Netlink.Attr a = new Netlink.Attr(1, false, seg(new byte[2]), "ctx");
        assertThatThrownBy(a::u32).hasMessage("ctx: attribute type 1 has 2 value bytes, a u32 needs 4");
    }

    @Test
    void aggregateWithoutStats() {
        byte[] msg = new Netlink.Builder(31, 0, 0, 0, 2, 1).beginNested(4).u32(1, 5).endNested().finish();
        Netlink.GenlMessage g = Netlink.genl(Netlink.messages(seg(msg), msg.length).getFirst());
        assertThatThrownBy(() -> TaskstatsProtocol.aggregates(g))
                .hasMessage("TASKSTATS_TYPE_AGGR_PID lacks its TASKSTATS_TYPE_STATS attribute");
    }
}
