package dev.taskshared.taskstats;

import dev.taskshared.sys.ErrnoException;
import java.util.Optional;

/**
 * A client of the kernel's taskstats genetlink family: resolves it once, then answers queries for
 * one thread ({@link #queryPid}) or one process ({@link #queryTgid}). Queries need CAP_NET_ADMIN
 * (the family's GENL_ADMIN_PERM). Thread-safe: queries on one client are serialised; each costs a
 * send and a receive (a few microseconds). Exit records are {@link ExitMonitor}'s business.
 */
public final class TaskstatsClient implements AutoCloseable {
    private final Channel channel;
    private final Channel.Family family;

    private TaskstatsClient(Channel channel, Channel.Family family) {
        this.channel = channel;
        this.family = family;
    }

    /**
     * Opens a netlink socket and resolves the TASKSTATS family. Throws {@link ErrnoException}
     * (ENOENT) where the kernel has no taskstats (CONFIG_TASKSTATS off).
     */
    public static TaskstatsClient open() {
        Channel channel = new Channel();
        try {
            return new TaskstatsClient(channel, channel.resolve(TaskstatsProtocol.FAMILY_NAME));
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Empty when taskstats works here (the family resolves and this process may query itself);
     * otherwise why not, for {@code doctor} and test gates. Costs a socket and two round trips.
     */
    public static Optional<String> unavailableReason() {
        try (TaskstatsClient t = open()) {
            t.queryTgid((int) ProcessHandle.current().pid());
            return Optional.empty();
        } catch (ErrnoException e) {
            String hint = switch (e.errnoName()) {
                case "ENOENT" -> " (kernel without CONFIG_TASKSTATS)";
                case "EPERM", "EACCES" -> " (needs CAP_NET_ADMIN)";
                default -> "";
            };
            return Optional.of(e.getMessage() + hint);
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(e.toString());
        }
    }

    /** The family's genetlink id on this boot. */
    public int familyId() {
        return family.id();
    }

    /** The family's version (CTRL_ATTR_VERSION, 1 on every kernel so far); not the struct's version. */
    public int familyVersion() {
        return family.version();
    }

    /**
     * The statistics of one thread, live ({@code TASKSTATS_CMD_ATTR_PID}). Throws
     * {@link ErrnoException} ESRCH when no such thread exists.
     */
    public synchronized TaskStats queryPid(int tid) {
        return query(TaskstatsProtocol.CMD_ATTR_PID, tid, "TASKSTATS_CMD_GET(pid " + tid + ")");
    }

    /**
     * The statistics of a process summed over its live threads plus those that exited
     * ({@code TASKSTATS_CMD_ATTR_TGID}). Only some fields are summed by the kernel (delays, CPU
     * times, switches); ESRCH when no such process exists.
     */
    public synchronized TaskStats queryTgid(int tgid) {
        return query(TaskstatsProtocol.CMD_ATTR_TGID, tgid, "TASKSTATS_CMD_GET(tgid " + tgid + ")");
    }

    private TaskStats query(int attr, int id, String op) {
        byte[] req = new Netlink.Builder(family.id(), Netlink.NLM_F_REQUEST, channel.nextSeq(), 0,
                TaskstatsProtocol.CMD_GET, TaskstatsProtocol.GENL_VERSION).u32(attr, id).finish();
        Netlink.GenlMessage reply = channel.request(req, op, null);
        if (reply == null) {
            throw new NetlinkFormatException(op + ": the kernel acked without a reply");
        }
        for (TaskstatsProtocol.Aggregate a : TaskstatsProtocol.aggregates(reply)) {
            if (a.id() == id) {
                return a.stats();
            }
        }
        throw new NetlinkFormatException(op + ": the reply has no statistics for id " + id);
    }

    /** Closes the socket. Idempotent. */
    @Override
    public synchronized void close() {
        channel.close();
    }
}
