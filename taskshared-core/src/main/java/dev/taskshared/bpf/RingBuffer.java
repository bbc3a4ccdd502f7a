package dev.taskshared.bpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.taskshared.sys.Epoll;
import dev.taskshared.sys.Mapping;
import dev.taskshared.sys.Platform;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Consumer side of a {@link MapType#RINGBUF} map, read through memory as libbpf does:
 *
 * <pre>
 *  mmap offset 0          consumer page  (rw)  u64 consumer_pos        written by us (release)
 *  mmap offset PAGE       producer page  (ro)  u64 producer_pos        written by the kernel (release)
 *  mmap offset 2 * PAGE   data, size bytes, mapped twice in a row (ro), so a record that wraps
 *                         around the end is contiguous
 *  record: u32 len | BUSY (1 << 31) | DISCARD (1 << 30); u32 pg_off; then len bytes; padded to 8
 * </pre>
 *
 * The kernel publishes a record by clearing BUSY with a release store; we read the header with an
 * acquire load, so the payload is visible once BUSY is clear, and hand the space back by
 * storing the new consumer position with release. One consumer thread at a time.
 */
public final class RingBuffer implements AutoCloseable {
    /** The kernel maps the ring buffer in pages: consumer page, producer page, then the data twice. */
    private static final long PAGE_SIZE = Platform.pageSize();
    private static final int BUSY_BIT = 1 << 31;
    private static final int DISCARD_BIT = 1 << 30;
    private static final int HEADER_SIZE = 8;
    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final BpfMap map;
    private final long size;
    private final long mask;
    private final Mapping consumerMapping;
    private final Mapping producerMapping;
    private final MemorySegment consumer;
    private final MemorySegment producer;
    private final MemorySegment data;
    private final Epoll epoll;

    private RingBuffer(BpfMap map) {
        if (map.type() != MapType.RINGBUF) {
            throw new IllegalArgumentException(map + " is not a ring buffer");
        }
        this.map = map;
        this.size = map.maxEntries();
        this.mask = size - 1;
        Mapping c = null;
        Mapping p = null;
        Epoll e = null;
        try {
            c = Mapping.map(map.fd(), PAGE_SIZE, true, 0);
            p = Mapping.map(map.fd(), PAGE_SIZE + 2 * size, false, PAGE_SIZE);
            e = Epoll.create();
            e.addReadable(map.fd());
        } catch (RuntimeException ex) {
            if (c != null) {
                c.close();
            }
            if (p != null) {
                p.close();
            }
            throw ex;
        }
        this.consumerMapping = c;
        this.producerMapping = p;
        this.consumer = c.segment();
        this.producer = p.segment();
        this.data = p.segment().asSlice(PAGE_SIZE);
        this.epoll = e;
    }

    /** Maps {@code map}'s pages; the map must stay open while this is used. */
    public static RingBuffer open(BpfMap map) {
        return new RingBuffer(map);
    }

    /** Bytes produced and not yet consumed (including headers and discarded records). */
    public long pending() {
        return (long) LONG.getAcquire(producer, 0L) - (long) LONG.getAcquire(consumer, 0L);
    }

    /**
     * Hands every complete record to {@code sink}, oldest first, and returns how many; stops at a
     * record the kernel is still writing. The segment is a read-only view of the ring and is valid
     * only during the call: copy what you keep. Discarded records are skipped.
     */
    public int drain(Consumer<MemorySegment> sink) {
        long cons = (long) LONG.getAcquire(consumer, 0L);
        int count = 0;
        while (true) {
            long prod = (long) LONG.getAcquire(producer, 0L);
            if (cons >= prod) {
                break;
            }
            long at = cons & mask;
            int header = (int) INT.getAcquire(data, at);
            if ((header & BUSY_BIT) != 0) {
                break; // reserved, not yet submitted
            }
            int len = header & ~(BUSY_BIT | DISCARD_BIT);
            cons += (len + HEADER_SIZE + 7) & ~7L;
            if ((header & DISCARD_BIT) == 0) {
                sink.accept(data.asSlice(at + HEADER_SIZE, len));
                count++;
            }
            // hand the space back record by record, so a slow sink does not stall the producer
            LONG.setRelease(consumer, 0L, cons);
        }
        return count;
    }

    /**
     * Drains; if there was nothing, waits up to {@code timeout} for the kernel to signal data
     * (epoll on the map) and drains again. Returns the number of records handed over.
     */
    public int poll(Consumer<MemorySegment> sink, Duration timeout) {
        int n = drain(sink);
        if (n > 0) {
            return n;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return drain(sink);
            }
            epoll.await((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
            n = drain(sink);
            if (n > 0) {
                return n;
            }
        }
    }

    public BpfMap map() {
        return map;
    }

    /** Unmaps and closes the epoll instance; the map itself stays open. */
    @Override
    public void close() {
        epoll.close();
        producerMapping.close();
        consumerMapping.close();
    }
}
