package dev.taskshared.agent;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A virtual-thread-heavy workload with a deterministic result: thousands of virtual threads doing
 * blocking socket I/O on loopback, pipe I/O, ReentrantLock and synchronized sections (with sleeps
 * inside the monitor, which pinned before JDK 24), and wait/notify hand-offs. Run with and
 * without the agent, the results must be equal (and equal to {@link #expected()}).
 * StructuredTaskScope is a preview API in JDK 25, so it is not used.
 */
public final class VirtualThreadWorkload {
    static final int SOCKET_CLIENTS = 500;
    static final int MESSAGES = 20;
    static final int PIPES = 200;
    static final int PIPE_LONGS = 50;
    static final int LOCKERS = 1000;
    static final int INCREMENTS = 200;
    static final int SYNC_SLEEPERS = 200;
    static final int HANDOFFS = 200;

    /** What the workload computes; equal with and without the agent. */
    public record Result(long echoSum, long pipeSum, long lockCount, long syncCount, long handoffSum) {
    }

    private static final Object MONITOR = new Object();
    private static long syncCount;

    private VirtualThreadWorkload() {
    }

    public static Result expected() {
        long echo = 0;
        for (long c = 0; c < SOCKET_CLIENTS; c++) {
            for (long m = 0; m < MESSAGES; m++) {
                echo += c * 1000 + m + 1;
            }
        }
        long pipe = 0;
        for (long p = 0; p < PIPES; p++) {
            for (long i = 0; i < PIPE_LONGS; i++) {
                pipe += p * i;
            }
        }
        long handoff = (long) HANDOFFS * (HANDOFFS - 1) / 2;
        return new Result(echo, pipe, (long) LOCKERS * INCREMENTS, SYNC_SLEEPERS, handoff);
    }

    public static Result run() throws Exception {
        syncCount = 0;
        try (ExecutorService vts = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Long> echo = vts.submit(() -> echo(vts));
            Future<Long> pipes = vts.submit(() -> pipes(vts));
            Future<Long> locks = vts.submit(() -> locks(vts));
            Future<Long> sync = vts.submit(() -> synchronizedSleeps(vts));
            Future<Long> handoff = vts.submit(VirtualThreadWorkload::handoffs);
            return new Result(echo.get(), pipes.get(), locks.get(), sync.get(), handoff.get());
        }
    }

    /** A loopback echo server (a virtual thread per connection) and clients, blocking sockets. */
    private static long echo(ExecutorService vts) throws Exception {
        try (ServerSocket server = new ServerSocket(0, SOCKET_CLIENTS, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < SOCKET_CLIENTS; i++) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            List<Future<Long>> clients = new ArrayList<>();
            for (int c = 0; c < SOCKET_CLIENTS; c++) {
                long id = c;
                clients.add(vts.submit(() -> {
                    long sum = 0;
                    try (Socket s = new Socket(server.getInetAddress(), server.getLocalPort());
                         DataOutputStream out = new DataOutputStream(s.getOutputStream());
                         DataInputStream in = new DataInputStream(s.getInputStream())) {
                        for (long m = 0; m < MESSAGES; m++) {
                            out.writeLong(id * 1000 + m);
                            out.flush();
                            sum += in.readLong();
                        }
                    }
                    return sum;
                }));
            }
            long sum = 0;
            for (Future<Long> f : clients) {
                sum += f.get();
            }
            acceptor.join();
            return sum;
        }
    }

    private static void serve(Socket s) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream());
             DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            for (int m = 0; m < MESSAGES; m++) {
                out.writeLong(in.readLong() + 1);
                out.flush();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writer and reader virtual threads on NIO pipes, one long at a time. */
    private static long pipes(ExecutorService vts) throws Exception {
        List<Future<Long>> readers = new ArrayList<>();
        for (int p = 0; p < PIPES; p++) {
            Pipe pipe = Pipe.open();
            long id = p;
            vts.submit(() -> {
                try (var sink = pipe.sink()) {
                    ByteBuffer b = ByteBuffer.allocate(8);
                    for (long i = 0; i < PIPE_LONGS; i++) {
                        b.clear().putLong(id * i).flip();
                        while (b.hasRemaining()) {
                            sink.write(b);
                        }
                    }
                }
                return null;
            });
            readers.add(vts.submit(() -> {
                long sum = 0;
                try (var source = pipe.source()) {
                    ByteBuffer b = ByteBuffer.allocate(8);
                    for (int i = 0; i < PIPE_LONGS; i++) {
                        b.clear();
                        while (b.hasRemaining()) {
                            if (source.read(b) < 0) {
                                throw new IOException("pipe closed early");
                            }
                        }
                        sum += b.flip().getLong();
                    }
                }
                return sum;
            }));
        }
        long sum = 0;
        for (Future<Long> f : readers) {
            sum += f.get();
        }
        return sum;
    }

    private static long locks(ExecutorService vts) throws Exception {
        ReentrantLock lock = new ReentrantLock();
        long[] count = new long[1];
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < LOCKERS; i++) {
            fs.add(vts.submit(() -> {
                for (int k = 0; k < INCREMENTS; k++) {
                    lock.lock();
                    try {
                        count[0]++;
                        if (k % 50 == 0) {
                            Thread.yield();
                        }
                    } finally {
                        lock.unlock();
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        lock.lock();
        try {
            return count[0];
        } finally {
            lock.unlock();
        }
    }

    /** Sleeping while holding a monitor: pinned before JDK 24, unmounts with the monitor held since. */
    private static long synchronizedSleeps(ExecutorService vts) throws Exception {
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < SYNC_SLEEPERS; i++) {
            fs.add(vts.submit(() -> {
                synchronized (MONITOR) {
                    syncCount++;
                    Thread.sleep(0, 100_000);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        synchronized (MONITOR) {
            return syncCount;
        }
    }

    /** wait/notify: a virtual thread hands numbers one by one to another through a monitor. */
    private static long handoffs() throws Exception {
        Object box = new Object();
        long[] slot = {-1};
        long[] sum = {0};
        Thread consumer = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < HANDOFFS; i++) {
                synchronized (box) {
                    while (slot[0] < 0) {
                        try {
                            box.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    sum[0] += slot[0];
                    slot[0] = -1;
                    box.notifyAll();
                }
            }
        });
        for (long i = 0; i < HANDOFFS; i++) {
            synchronized (box) {
                while (slot[0] >= 0) {
                    box.wait();
                }
                slot[0] = i;
                box.notifyAll();
            }
        }
        consumer.join();
        return sum[0];
    }

    /** Prints the result (for a run in another JVM, with or without the agent). */
    public static void main(String[] args) throws Exception {
        System.out.println(run());
    }
}
