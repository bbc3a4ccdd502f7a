package dev.taskshared.taskstats;

import java.util.ArrayList;
import java.util.List;

/**
 * The taskstats genetlink family's commands and attributes (include/uapi/linux/taskstats.h), and
 * the decoding of its replies and exit events into {@link Aggregate}s.
 *
 * <pre>
 * request  TASKSTATS_CMD_GET { CMD_ATTR_PID u32 | CMD_ATTR_TGID u32
 *                              | CMD_ATTR_REGISTER_CPUMASK string | CMD_ATTR_DEREGISTER_CPUMASK string }
 * reply    TASKSTATS_CMD_NEW { TYPE_AGGR_PID { TYPE_PID u32, TYPE_STATS struct taskstats }
 *                              | TYPE_AGGR_TGID { TYPE_TGID u32, TYPE_STATS struct taskstats } }
 * exit     TASKSTATS_CMD_NEW { TYPE_AGGR_PID {..} [, TYPE_AGGR_TGID {..} when the last thread of a
 *                              multi-threaded process exits] [, TYPE_NULL padding] }
 * </pre>
 */
final class TaskstatsProtocol {
    static final String FAMILY_NAME = "TASKSTATS";
    static final int GENL_VERSION = 1;

    static final int CMD_GET = 1;
    static final int CMD_NEW = 2;

    static final int TYPE_PID = 1;
    static final int TYPE_TGID = 2;
    static final int TYPE_STATS = 3;
    static final int TYPE_AGGR_PID = 4;
    static final int TYPE_AGGR_TGID = 5;
    static final int TYPE_NULL = 6;

    static final int CMD_ATTR_PID = 1;
    static final int CMD_ATTR_TGID = 2;
    static final int CMD_ATTR_REGISTER_CPUMASK = 3;
    static final int CMD_ATTR_DEREGISTER_CPUMASK = 4;

    private TaskstatsProtocol() {
    }

    /** One TYPE_AGGR_PID or TYPE_AGGR_TGID: the id it names and its statistics. */
    record Aggregate(ExitRecord.Kind kind, int id, TaskStats stats) {
    }

    /** Decodes the aggregates of a TASKSTATS_CMD_NEW message, in message order; ignores TYPE_NULL and unknown types. */
    static List<Aggregate> aggregates(Netlink.GenlMessage m) {
        List<Aggregate> out = new ArrayList<>(2);
        for (Netlink.Attr a : m.attributes()) {
            ExitRecord.Kind kind;
            int idType;
            if (a.type() == TYPE_AGGR_PID) {
                kind = ExitRecord.Kind.TASK;
                idType = TYPE_PID;
            } else if (a.type() == TYPE_AGGR_TGID) {
                kind = ExitRecord.Kind.THREAD_GROUP;
                idType = TYPE_TGID;
            } else {
                continue;
            }
            String what = a.type() == TYPE_AGGR_PID ? "TASKSTATS_TYPE_AGGR_PID" : "TASKSTATS_TYPE_AGGR_TGID";
            Integer id = null;
            TaskStats stats = null;
            for (Netlink.Attr inner : a.nested()) {
                if (inner.type() == idType) {
                    id = inner.u32();
                } else if (inner.type() == TYPE_STATS) {
                    stats = TaskStats.decode(inner.value());
                }
            }
            if (id == null || stats == null) {
                throw new NetlinkFormatException(what + " lacks its " + (id == null ? "id" : "TASKSTATS_TYPE_STATS") + " attribute");
            }
            out.add(new Aggregate(kind, id, stats));
        }
        return out;
    }
}
