package dev.taskshared.bpf;

import static dev.taskshared.bpf.asm.Reg.R0;
import static dev.taskshared.bpf.asm.Reg.R1;
import static dev.taskshared.bpf.asm.Reg.R10;
import static dev.taskshared.bpf.asm.Reg.R6;
import static dev.taskshared.bpf.asm.Reg.R7;
import static dev.taskshared.bpf.asm.Reg.R8;
import static dev.taskshared.bpf.asm.Size.DW;
import static dev.taskshared.bpf.asm.Size.W;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.sys.ErrnoException;
import dev.taskshared.sys.Libc;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RawTracepointTest {
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    @BeforeEach
    void requireBpf() {
        BpfTesting.requireBpf();
    }

    /** Counts every sched_switch in slot 0 of {@code map} with an atomic add. */
    private static Instructions switchCounter(BpfMap map) {
        return new Asm()
                .st(W, R10, -4, 0)              // u32 key = 0
                .mapLookup(map, -4)
                .jeq(R0, 0, "out")
                .mov(R1, 1)
                .atomicAdd(DW, R0, 0, R1)       // lock *(u64 *)(r0 +0) += 1
                .label("out")
                .mov(R0, 0)
                .exit()
                .build();
    }

    private static long count(MemorySegment mem) {
        return (long) LONG.getAcquire(mem, 0L);
    }

    @Test
    void countsContextSwitchesUntilDetached() throws Exception {
        try (BpfMap map = BpfMap.create(MapSpec.array(8, 1).mmapable().named("ts_test_count"));
                BpfStats stats = BpfStats.enable();
                BpfProgram prog = BpfProgram.load(ProgramSpec.of(ProgramType.RAW_TRACEPOINT, switchCounter(map)).named("ts_count"))) {
            MemorySegment mem = map.mmap();
            BpfLink link = prog.attachRawTracepoint("sched_switch");
            try (link) {
                assertThat(link.programId()).isEqualTo(prog.id());
                assertThat(link.id()).isPositive();
                for (int k = 0; k < 20 && count(mem) < 10; k++) {
                    Thread.sleep(5); // each sleep switches this thread out and back in
                }
                assertThat(count(mem)).isGreaterThanOrEqualTo(10);
                ProgramInfo info = prog.info();
                assertThat(info.runCount()).isPositive();
                assertThat(info.runTimeNs()).isPositive();
                assertThat(fdinfo(prog.fd(), "run_cnt")).isGreaterThanOrEqualTo(info.runCount());
                System.out.printf("sched_switch counter: %d runs, %.1f ns/run%n", info.runCount(), info.meanRunNs());
            }
            assertThat(link.isOpen()).isFalse();
            Thread.sleep(30); // let a run that started before the detach finish
            long after = count(mem);
            for (int k = 0; k < 10; k++) {
                Thread.sleep(5);
            }
            assertThat(count(mem)).as("no switch is counted once the link is closed").isEqualTo(after);
        }
    }

    private static long fdinfo(int fd, String key) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.substring(key.length() + 1).strip());
            }
        }
        throw new AssertionError("no " + key + " in fdinfo");
    }

    @Test
    void unknownTracepointIsAClearError() {
        try (BpfMap map = BpfMap.create(MapSpec.array(8, 1));
                BpfProgram prog = BpfProgram.load(ProgramType.RAW_TRACEPOINT, switchCounter(map))) {
            assertThatThrownBy(() -> prog.attachRawTracepoint("no_such_tracepoint_xyz")).isInstanceOf(ErrnoException.class)
                    .hasMessageContaining("no_such_tracepoint_xyz");
        }
    }

    @Test
    void btfTypedProgramDereferencesTaskPointersDirectly() throws Exception {
        Btf btf = Btf.vmlinux();
        try (BpfMap map = BpfMap.create(MapSpec.array(16, 1).mmapable().named("ts_test_tpbtf"))) {
            Instructions prog = new Asm()
                    .ldx(DW, R6, R1, 16)                                                   // r6 = next, a PTR_TO_BTF_ID
                    .ldx(W, R7, R6, (int) btf.offsetOf("task_struct", "pid"))            // no probe_read needed
                    .st(W, R10, -4, 0)
                    .mapLookup(map, -4)
                    .jeq(R0, 0, "out")
                    .stx(DW, R0, 8, R7)
                    .mov(R1, 1)
                    .atomicAdd(DW, R0, 0, R1)
                    .label("out")
                    .mov(R0, 0)
                    .exit()
                    .build();
            ProgramSpec spec = ProgramSpec.of(ProgramType.TRACING, prog).named("ts_tp_btf")
                    .withAttach(AttachType.TRACE_RAW_TP, btf.rawTracepointTypeId("sched_switch"));
            try (BpfProgram p = BpfProgram.load(spec); BpfLink link = BpfLink.tracing(p)) {
                MemorySegment mem = map.mmap();
                for (int k = 0; k < 20 && count(mem) < 5; k++) {
                    Thread.sleep(5);
                }
                assertThat(count(mem)).isGreaterThanOrEqualTo(5);
                assertThat(link.programId()).isEqualTo(p.id());
            }
        }
    }

    // value layout of the snapshot map, one 8-byte field each unless noted
    private static final int SUM_EXEC = 0, RUN_DELAY = 8, PCOUNT = 16, NVCSW = 24, NIVCSW = 32, MIGRATIONS = 40, PID_TGID = 48,
            CPU = 56, STATE = 60, COMM = 64, HITS = 80;

    /**
     * On sched_switch, when {@code next->pid == tid}, copies next's scheduler fields, read with
     * bpf_probe_read_kernel at their BTF offsets, into slot 0 of {@code map}.
     */
    private static Instructions snapshot(BpfMap map, int tid) {
        Btf btf = Btf.vmlinux();
        Asm a = new Asm()
                .ldx(DW, R6, R1, 16)                                        // r6 = next (args[2])
                .stackPtr(R7, -8)
                .probeReadKernel(R7, 4, R6, (int) btf.offsetOf("task_struct", "pid"))
                .ldx(W, R1, R10, -8)
                .jne(R1, tid, "out")
                .st(W, R10, -4, 0)
                .mapLookup(map, -4)
                .jeq(R0, 0, "out")
                .mov(R8, R0);
        read(a, btf, SUM_EXEC, 8, "se.sum_exec_runtime");
        read(a, btf, RUN_DELAY, 8, "sched_info.run_delay");
        read(a, btf, PCOUNT, 8, "sched_info.pcount");
        read(a, btf, NVCSW, 8, "nvcsw");
        read(a, btf, NIVCSW, 8, "nivcsw");
        read(a, btf, MIGRATIONS, 8, "se.nr_migrations");
        read(a, btf, PID_TGID, 8, "pid"); // pid and tgid are adjacent
        read(a, btf, CPU, 4, "thread_info.cpu");
        read(a, btf, STATE, 4, "__state");
        read(a, btf, COMM, 16, "comm");
        return a.mov(R1, 1)
                .atomicAdd(DW, R8, HITS, R1)
                .label("out")
                .mov(R0, 0)
                .exit()
                .build();
    }

    private static void read(Asm a, Btf btf, int dstOff, int size, String field) {
        a.probeReadKernel(R8, dstOff, size, R6, (int) btf.offsetOf("task_struct", field));
    }

    @Test
    void readsTaskStructFieldsAtBtfOffsets() throws Exception {
        CompletableFuture<Integer> tidF = new CompletableFuture<>();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch exit = new CountDownLatch(1);
        Thread target = new Thread(() -> {
            tidF.complete(Libc.gettid());
            try {
                go.await();
                long end = System.nanoTime() + 150_000_000L;
                long x = 0;
                while (System.nanoTime() < end) {
                    long spin = System.nanoTime() + 2_000_000L;
                    while (System.nanoTime() < spin) {
                        x += spin ^ x;
                    }
                    Thread.sleep(1);
                }
                if (x == 42) {
                    System.out.print("");
                }
                done.countDown();
                exit.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ts-bpf-target");
        target.start();
        int tid = tidF.get(5, TimeUnit.SECONDS);
        try (BpfMap map = BpfMap.create(MapSpec.array(128, 1).mmapable().named("ts_test_task"));
                BpfProgram prog = BpfProgram.load(ProgramSpec.of(ProgramType.RAW_TRACEPOINT, snapshot(map, tid)).named("ts_snapshot"));
                BpfLink link = prog.attachRawTracepoint("sched_switch")) {
            go.countDown();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(20); // the target is blocked now: its last switch-in is in the map
            link.close();
            MemorySegment v = map.mmap();
            String[] schedstat = Files.readString(Path.of("/proc/self/task/" + tid + "/schedstat")).strip().split(" ");
            long procSum = Long.parseLong(schedstat[0]);
            long procDelay = Long.parseLong(schedstat[1]);
            long procPcount = Long.parseLong(schedstat[2]);
            String status = Files.readString(Path.of("/proc/self/task/" + tid + "/status"));
            exit.countDown();
            target.join();

            long hits = v.get(JAVA_LONG, HITS);
            long sum = v.get(JAVA_LONG, SUM_EXEC);
            long pcount = v.get(JAVA_LONG, PCOUNT);
            String comm = new String(v.asSlice(COMM, 16).toArray(JAVA_BYTE), StandardCharsets.US_ASCII).split("\0")[0];
            System.out.printf("bpf: sum_exec=%d run_delay=%d pcount=%d nvcsw=%d nivcsw=%d migrations=%d cpu=%d state=%d comm=%s hits=%d%n",
                    sum, v.get(JAVA_LONG, RUN_DELAY), pcount, v.get(JAVA_LONG, NVCSW), v.get(JAVA_LONG, NIVCSW),
                    v.get(JAVA_LONG, MIGRATIONS), v.get(JAVA_INT, CPU), v.get(JAVA_INT, STATE), comm, hits);
            System.out.printf("proc: sum_exec=%d run_delay=%d pcount=%d%n", procSum, procDelay, procPcount);

            assertThat(hits).isGreaterThanOrEqualTo(10);
            assertThat(v.get(JAVA_INT, PID_TGID)).isEqualTo(tid);
            assertThat(v.get(JAVA_INT, PID_TGID + 4)).isEqualTo(Libc.getpid());
            assertThat(comm).isEqualTo("ts-bpf-target");
            assertThat(v.get(JAVA_INT, STATE)).as("TASK_RUNNING when switched in").isZero();
            assertThat(v.get(JAVA_INT, CPU)).isBetween(0, Libc.nprocsConf() - 1);
            // values at the last switch-in: a little behind /proc, which also counts that last run
            assertThat(sum).isPositive().isLessThanOrEqualTo(procSum);
            assertThat(procSum - sum).as("CPU time of the last run, after the last switch-in").isLessThan(50_000_000L);
            assertThat(v.get(JAVA_LONG, RUN_DELAY)).isLessThanOrEqualTo(procDelay);
            assertThat(pcount).isLessThanOrEqualTo(procPcount).isGreaterThanOrEqualTo(Math.max(1, procPcount - 5));
            long nvcsw = v.get(JAVA_LONG, NVCSW);
            assertThat(nvcsw).isPositive().isLessThanOrEqualTo(statusField(status, "voluntary_ctxt_switches"));
            assertThat(v.get(JAVA_LONG, NIVCSW)).isLessThanOrEqualTo(statusField(status, "nonvoluntary_ctxt_switches"));
        } finally {
            go.countDown();
            exit.countDown();
            target.join(5000);
        }
    }

    private static long statusField(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.substring(key.length() + 1).strip());
            }
        }
        throw new AssertionError("no " + key);
    }
}
