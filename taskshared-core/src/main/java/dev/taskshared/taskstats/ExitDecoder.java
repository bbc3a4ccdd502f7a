package dev.taskshared.taskstats;

import dev.taskshared.sys.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a datagram's messages from a CPU-registered taskstats socket into exit records stamped
 * with that CPU. Stateless and thread-safe.
 */
final class ExitDecoder {
    private ExitDecoder() {
    }

    /**
     * The records in {@code m}: a task part and, when the task was its group's last thread, a
     * thread-group part (which inherits the task's tid and, if its own is empty, its comm). A
     * message of another type carries none; an NLMSG_ERROR other than an ack, or a message that does
     * not parse, is a {@link NetlinkFormatException}.
     */
    static List<ExitRecord> records(Netlink.Message m, int familyId, int cpu) {
        if (m.type() != familyId) {
            if (m.isError() && Netlink.errorCode(m) != 0) {
                throw new NetlinkFormatException("unexpected NLMSG_ERROR " + Errno.name(Netlink.errorCode(m))
                        + " on the CPU " + cpu + " socket");
            }
            return List.of();
        }
        List<ExitRecord> out = new ArrayList<>(2);
        for (TaskstatsProtocol.Aggregate a : TaskstatsProtocol.aggregates(Netlink.genl(m))) {
            TaskStats st = a.stats();
            if (a.kind() == ExitRecord.Kind.TASK) {
                int tgid = (int) st.get(TaskStats.Field.AC_TGID).orElse(0);
                out.add(new ExitRecord(a.id(), tgid, st.comm(), cpu, ExitRecord.Source.TASKSTATS, a.kind(), st));
            } else {
                // The group's sums name no thread, and the kernel sends them with an empty comm:
                // say so rather than lend them the last thread's id and name.
                out.add(new ExitRecord(0, a.id(), st.comm(), cpu, ExitRecord.Source.TASKSTATS, a.kind(), st));
            }
        }
        return out;
    }
}
