package dev.taskshared.publisher;

import static dev.taskshared.bpf.asm.Reg.FP;
import static dev.taskshared.bpf.asm.Reg.R0;
import static dev.taskshared.bpf.asm.Reg.R1;
import static dev.taskshared.bpf.asm.Reg.R2;
import static dev.taskshared.bpf.asm.Reg.R3;
import static dev.taskshared.bpf.asm.Reg.R4;
import static dev.taskshared.bpf.asm.Reg.R6;
import static dev.taskshared.bpf.asm.Reg.R7;
import static dev.taskshared.bpf.asm.Reg.R8;
import static dev.taskshared.bpf.asm.Reg.R9;
import static dev.taskshared.bpf.asm.Size.DW;
import static dev.taskshared.bpf.asm.Size.W;

import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.Helper;
import dev.taskshared.bpf.asm.Instructions;
import dev.taskshared.bpf.asm.JmpOp;
import dev.taskshared.bpf.asm.MapRef;
import dev.taskshared.bpf.asm.Reg;
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.bpf.btf.BtfKind;
import dev.taskshared.region.SlotLayout;
import java.util.Optional;

/**
 * The scheduler programs of the BPF publisher, written with our instruction builder: one body per
 * tracepoint, shared by both data paths, which differ only in how a program finds a task's slot
 * ({@link Lookup}): on the task-storage path, bpf_task_storage_get and the {@code __uptr} the
 * kernel pinned at registration; on the map-pages path, a tid bit array, a tid hash and an array of
 * one-page maps.
 *
 * <p>Every number written is the kernel's own: at a switch-out the task's sum_exec_runtime,
 * run_delay, pcount, nvcsw, nivcsw, utime and stime; at a switch-in the values the kernel is about
 * to have once the switch completes (the tracepoint fires before sched_info_arrive: pcount + 1,
 * and run_delay + this wait, computed as the kernel does from the run-queue clock and the task's
 * {@code sched_info.last_queued}); at exit the task's totals as they stand, the numbers taskstats
 * reports. Off-CPU time is wall minus the kernel's CPU time since
 * registration, at each switch-in, so on + off = wall exactly.
 *
 * <p>Registers: r6 the context (u64 args[]), r7 the clock (read at a switch-in only), r8 the task's
 * {@link TaskRecord}, r9 its slot. Writes are bracketed by the slot's sequence counter,
 * incremented with fully ordered atomic fetch-and-adds (see {@code bumpSeq}), on x86-64 and arm64 alike.
 */
final class SchedPrograms {

    // Stack of every program.
    private static final int FP_TID = -8;        // u32 tid (map-pages lookup key)
    private static final int FP_SCRATCH = -16;   // u64 for bpf_probe_read_kernel
    private static final int FP_PAGE = -24;      // u32 key of pages
    private static final int FP_INDEX = -32;     // u32 key of a page
    private static final int FP_TASK = -40;      // the current task (seed program)
    private static final int FP_CLOCK = -48;     // rq->clock at a switch-in
    private static final int FP_WAIT = -56;      // the wait a switch-in ends

    /** Exit record sent through the ring buffer, declared once (see {@link ExitRingRecord}). */
    static final int EXIT_RECORD_SIZE = ExitRingRecord.SIZE;

    /** Arguments of the seed program's run: {@code u64 args[]}. */
    static final int SEED_ARG_CPU_TIME = 0;
    static final int SEED_ARG_MONOTONIC = 1;
    static final int SEED_ARG_SWITCHES = 2;
    static final int SEED_ARGS = 3;
    /** The seed program's answers. */
    static final int SEED_OK = 0;
    static final int SEED_NO_RECORD = 1;
    static final int SEED_SWITCHED = 2;
    /** The task seed program's arguments ({@code u64 args[]}) and its answer besides OK and NO_RECORD. */
    static final int SEED_TASK_ARG_TID = 0;
    static final int SEED_TASK_ARG_SLOT_INDEX = 1;
    static final int SEED_TASK_ARGS = 2;
    static final int SEED_NO_TASK = 3;

    /** Argument slots of the tracepoints (u64 args[] of the context). */
    private static final int SWITCH_PREV = 1;
    private static final int SWITCH_NEXT = 2;
    private static final int EXIT_TASK = 0;
    /** The seed program's task: the current one, kept on the stack. */
    private static final int CURRENT = -1;

    /**
     * Offsets in the kernel's structs, from BTF, and how the programs reach task fields: {@code
     * direct} loads from the typed pointers of a BTF-typed tracepoint (tp_btf), or
     * bpf_probe_read_kernel from a raw tracepoint's untyped arguments.
     */
    record Kernel(int pid, int sumExecRuntime, int runDelay, int pcount, int lastQueued, int nvcsw, int nivcsw,
                  int utime, int stime, int bpfStorage, int seCfsRq, int cfsRqRq, int rqClock, boolean direct) {
        static Kernel fromBtf(Btf btf, boolean direct) {
            return new Kernel(
                    off(btf, "task_struct", "pid"),
                    off(btf, "task_struct", "se.sum_exec_runtime"),
                    off(btf, "task_struct", "sched_info.run_delay"),
                    off(btf, "task_struct", "sched_info.pcount"),
                    off(btf, "task_struct", "sched_info.last_queued"),
                    off(btf, "task_struct", "nvcsw"),
                    off(btf, "task_struct", "nivcsw"),
                    off(btf, "task_struct", "utime"),
                    off(btf, "task_struct", "stime"),
                    btf.field("task_struct", "bpf_storage") == null ? -1 : off(btf, "task_struct", "bpf_storage"),
                    off(btf, "task_struct", "se.cfs_rq"),
                    // cfs_rq->rq exists with CONFIG_FAIR_GROUP_SCHED; without it the wait is not added at switch-in
                    btf.field("cfs_rq", "rq") == null ? -1 : off(btf, "cfs_rq", "rq"),
                    off(btf, "rq", "clock"),
                    direct);
        }

        private static int off(Btf btf, String struct, String path) {
            return (int) btf.offsetOf(struct, path);
        }
    }

    /**
     * The kernel functions the task seed program calls, by their ids in the kernel's BTF:
     * {@code bpf_task_from_vpid} (Linux 6.13+: the task of a thread id in the caller's PID
     * namespace, referenced) and {@code bpf_task_release}.
     */
    record Kfuncs(int taskFromVpid, int taskRelease) {
        /** Both functions, or empty when this kernel lacks one. */
        static Optional<Kfuncs> fromBtf(Btf btf) {
            var from = btf.typeId("bpf_task_from_vpid", BtfKind.FUNC);
            var release = btf.typeId("bpf_task_release", BtfKind.FUNC);
            return from.isPresent() && release.isPresent() ? Optional.of(new Kfuncs(from.get(), release.get()))
                    : Optional.empty();
        }
    }

    /** How a program finds the slot of a task: r8 = its {@link TaskRecord}, r9 = its slot, or goto miss. */
    interface Lookup {
        /**
         * @param task the argument slot holding the task pointer, or {@link #CURRENT}
         * @param requireSeeded skip a record registration has not finished
         */
        void emit(Asm a, Kernel k, int task, boolean requireSeeded, String miss);
    }

    /**
     * The task-storage path: bpf_task_storage_get (never creating) and the {@code __uptr} in the
     * record. A task with no local storage at all (nearly every task on a host) is passed over
     * after one load of {@code task->bpf_storage}.
     */
    record TaskStorageLookup(MapRef tasks) implements Lookup {
        @Override
        public void emit(Asm a, Kernel k, int task, boolean requireSeeded, String miss) {
            taskPointer(a, task, R2);
            if (k.bpfStorage() >= 0) {
                a.ldx(DW, R3, R2, k.bpfStorage()).jeq(R3, 0, miss);
            }
            a.ldMap(R1, tasks)
                    .mov(R3, 0)
                    .mov(R4, 0)
                    .call(Helper.TASK_STORAGE_GET)
                    .jeq(R0, 0, miss)
                    .mov(R8, R0);
            if (requireSeeded) {
                a.ldx(W, R1, R8, TaskRecord.FLAGS).and(R1, TaskRecord.SEEDED).jeq(R1, 0, miss);
            }
            a.ldx(DW, R9, R8, TaskRecord.SLOT).jeq(R9, 0, miss);
        }
    }

    /**
     * The map-pages path (kernels without task storage or {@code __uptr}): the task's bit in
     * {@code tidBits} filters first (an inlined array load); {@code tidSlot} maps the tid to its
     * record; the record's global slot index gives page = index / 32 and slot = index % 32 in
     * {@code pages}, an array of one-page maps.
     */
    record MapPagesLookup(MapRef tidBits, MapRef tidSlot, MapRef pages) implements Lookup {
        @Override
        public void emit(Asm a, Kernel k, int task, boolean requireSeeded, String miss) {
            readTid(a, k, task);
            a.ldx(W, R1, FP, FP_TID)
                    .mov(R2, R1)
                    .rsh(R2, 6)
                    .stx(W, FP, FP_PAGE, R2)       // key: the tid's 64-bit word
                    .and(R1, 63)
                    .stx(W, FP, FP_INDEX, R1)      // the tid's bit in it
                    .mapLookup(tidBits, FP_PAGE)
                    .jeq(R0, 0, miss)
                    .ldx(DW, R1, R0, 0)
                    .ldx(W, R2, FP, FP_INDEX)
                    .rsh(R1, R2)
                    .and(R1, 1)
                    .jeq(R1, 0, miss);
            a.mapLookup(tidSlot, FP_TID)
                    .jeq(R0, 0, miss)
                    .mov(R8, R0);
            if (requireSeeded) {
                a.ldx(W, R1, R8, TaskRecord.FLAGS).and(R1, TaskRecord.SEEDED).jeq(R1, 0, miss);
            }
            a.ldx(W, R1, R8, TaskRecord.SLOT_INDEX)
                    .mov(R2, R1)
                    .rsh(R2, 5)
                    .stx(W, FP, FP_PAGE, R2)
                    .and(R1, SlotLayout.SLOTS_PER_PAGE - 1)
                    .stx(W, FP, FP_INDEX, R1)
                    .mapLookup(pages, FP_PAGE)
                    .jeq(R0, 0, miss)
                    .mov(R1, R0)
                    .stackPtr(R2, FP_INDEX)
                    .call(Helper.MAP_LOOKUP_ELEM)
                    .jeq(R0, 0, miss)
                    .mov(R9, R0);
        }
    }

    private SchedPrograms() {
    }

    // ------------------------------------------------------------------------------ programs

    /**
     * sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state).
     *
     * <pre>
     * prev registered: sum_exec_runtime, run_delay, pcount, utime, stime = prev's (the kernel's, final for this run);
     *                  nvcsw, nivcsw = prev's - their values at registration;  on_cpu_since = 0
     * next registered: cpu changed ? migrations++;  sum_exec_runtime = next's;
     *                  off_cpu = now - sum_exec_runtime - off_cpu_origin (never decreasing);
     *                  run_delay = next's + (rq->clock - next->sched_info.last_queued, if queued);
     *                  pcount = next's + 1;  on_cpu_since = now
     * </pre>
     */
    static Instructions schedSwitch(Lookup lookup, Kernel k) {
        Asm a = new Asm();
        a.mov(R6, R1);

        // ---- prev, switching out: the kernel's counters only. No clock read: it is the largest
        // single cost of a run (about 75 ns of a VM's 150 for a registered pair).
        lookup.emit(a, k, SWITCH_PREV, true, "next");
        bumpSeq(a);
        publishSwitchOut(a, k, SWITCH_PREV);
        a.st(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, 0);
        bumpSeq(a);

        // ---- next, switching in.
        a.label("next");
        lookup.emit(a, k, SWITCH_NEXT, true, "out");
        a.call(Helper.KTIME_GET_NS)
                .mov(R7, R0);
        bumpSeq(a);
        a.call(Helper.GET_SMP_PROCESSOR_ID)
                .ldx(W, R1, R9, (int) SlotLayout.CPU)
                .jmp32(JmpOp.JEQ, R1, R0, "same_cpu")
                .jeq32(R1, -1, "set_cpu");     // first switch-in since registration
        increment(a, SlotLayout.MIGRATIONS);
        a.label("set_cpu")
                .stx(W, R9, (int) SlotLayout.CPU, R0)
                .label("same_cpu");
        readTaskU64(a, k, SWITCH_NEXT, k.sumExecRuntime());
        a.stx(DW, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS, R1)
                .mov(R2, R7)
                .sub(R2, R1)
                .ldx(DW, R1, R9, (int) SlotLayout.OFF_CPU_ORIGIN_NS)
                .sub(R2, R1)
                .ldx(DW, R1, R9, (int) SlotLayout.OFF_CPU_NS)
                .jslt(R2, R1, "off_kept")
                .stx(DW, R9, (int) SlotLayout.OFF_CPU_NS, R2)
                .label("off_kept");
        // This wait, as sched_info_arrive is about to add it: rq->clock - last_queued.
        rqClock(a, k, SWITCH_NEXT);
        a.stx(DW, FP, FP_CLOCK, R1)            // spill: readTaskU64 clobbers r0-r5
                .st(DW, FP, FP_WAIT, 0)
                .jeq(R1, 0, "no_wait");
        readTaskU64(a, k, SWITCH_NEXT, k.lastQueued());
        a.jeq(R1, 0, "no_wait")                // not queued: nothing to add
                .ldx(DW, R2, FP, FP_CLOCK)
                .sub(R2, R1)
                .jslt(R2, 0, "no_wait")
                .stx(DW, FP, FP_WAIT, R2)
                .label("no_wait");
        readTaskU64(a, k, SWITCH_NEXT, k.runDelay());
        a.ldx(DW, R2, FP, FP_WAIT)
                .add(R1, R2)
                .stx(DW, R9, (int) SlotLayout.RUN_DELAY_NS, R1);
        readTaskU64(a, k, SWITCH_NEXT, k.pcount());
        a.add(R1, 1)
                .stx(DW, R9, (int) SlotLayout.PCOUNT, R1)
                .stx(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, R7);
        bumpSeq(a);
        a.label("out")
                .mov(R0, 0)
                .exit();
        return a.build();
    }

    /**
     * sched_process_exit(struct task_struct *p): p is the current task. A registered task's slot
     * gets its final numbers and {@link SlotLayout#STATE_EXITED}; the same numbers go to the ring
     * buffer ({@link ExitRingRecord}), or the drop counter counts them. On the map-pages path the tid
     * also leaves {@code tidSlot} so that nothing writes the slot again (task storage is freed by
     * the kernel with the task). With {@code exits} null (the host publisher, whose ring buffer
     * nobody could share) only the slot is marked; {@code drops} is then unused.
     */
    static Instructions schedProcessExit(Lookup lookup, Kernel k, MapRef exits, MapRef drops, MapRef forget) {
        Asm a = new Asm();
        a.mov(R6, R1);
        lookup.emit(a, k, EXIT_TASK, true, "out");
        a.call(Helper.KTIME_GET_NS)
                .mov(R7, R0);
        bumpSeq(a);
        // The kernel's own sum, as taskstats reports it: it lags the running task by at most a
        // tick, where "sum at switch-in + wall time since" would count the run's steal and
        // interrupt time as CPU (1.2 ms over 20 ms on a busy VM).
        publishSwitchOut(a, k, EXIT_TASK);
        a.st(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, 0);
        a.st(W, R9, (int) SlotLayout.STATE, SlotLayout.STATE_EXITED);
        bumpSeq(a);
        if (exits == null) {
            return a.label("out").mov(R0, 0).exit().build();
        }
        a.ldMap(R1, exits)
                .mov(R2, EXIT_RECORD_SIZE)
                .mov(R3, 0)
                .call(Helper.RINGBUF_RESERVE)
                .jne(R0, 0, "reserved")
                // Full ring buffer: count the loss where user space reads it.
                .st(W, FP, FP_INDEX, 0)
                .mapLookup(drops, FP_INDEX)
                .jeq(R0, 0, "forget")
                .mov(R1, 1)
                .atomicAdd(DW, R0, 0, R1)
                .ja("forget")
                .label("reserved")
                .mov(R6, R0)
                .call(Helper.GET_CURRENT_PID_TGID)
                .stx(W, R6, ExitRingRecord.TID, R0)
                .rsh(R0, 32)
                .stx(W, R6, ExitRingRecord.TGID, R0)
                .ldx(W, R1, R8, TaskRecord.SLOT_INDEX)
                .stx(W, R6, ExitRingRecord.SLOT, R1)
                .call(Helper.GET_SMP_PROCESSOR_ID)
                .stx(W, R6, ExitRingRecord.CPU, R0)
                .stx(DW, R6, ExitRingRecord.EXIT_TIME_NS, R7);
        copy(a, SlotLayout.SUM_EXEC_RUNTIME_NS, ExitRingRecord.SUM_EXEC_RUNTIME_NS);
        copy(a, SlotLayout.RUN_DELAY_NS, ExitRingRecord.RUN_DELAY_NS);
        copy(a, SlotLayout.PCOUNT, ExitRingRecord.PCOUNT);
        copy(a, SlotLayout.OFF_CPU_NS, ExitRingRecord.OFF_CPU_NS);
        copy(a, SlotLayout.NVCSW, ExitRingRecord.NVCSW);
        copy(a, SlotLayout.NIVCSW, ExitRingRecord.NIVCSW);
        copy(a, SlotLayout.MIGRATIONS, ExitRingRecord.MIGRATIONS);
        a.mov(R1, R6)
                .add(R1, ExitRingRecord.COMM)
                .mov(R2, ExitRingRecord.COMM_SIZE)
                .call(Helper.GET_CURRENT_COMM)
                .mov(R1, R6)
                .mov(R2, 0)
                .call(Helper.RINGBUF_SUBMIT)
                .label("forget");
        if (forget != null) {
            a.call(Helper.GET_CURRENT_PID_TGID)
                    .stx(W, FP, FP_TID, R0)
                    .ldMap(R1, forget)
                    .stackPtr(R2, FP_TID)
                    .call(Helper.MAP_DELETE_ELEM);
        }
        a.label("out")
                .mov(R0, 0)
                .exit();
        return a.build();
    }

    /**
     * The seed program (task-storage path), run once by the registering thread itself through
     * BPF_PROG_TEST_RUN right after it put its record in the map: it fills the slot with the
     * kernel's values of the current task and the baselines of the record, and marks it seeded,
     * so that registration needs no /proc read. Its arguments: the thread's CPU time and the
     * monotonic clock read back to back, and its switch count (nvcsw + nivcsw) read before them;
     * if the task switched since, the pair is stale and it answers {@link #SEED_SWITCHED}.
     */
    static Instructions seed(Lookup lookup, Kernel k) {
        Asm a = new Asm();
        a.mov(R6, R1)
                .call(Helper.GET_CURRENT_TASK_BTF)
                .stx(DW, FP, FP_TASK, R0);
        lookup.emit(a, k, CURRENT, false, "no_record");
        readTaskU64(a, k, CURRENT, k.nvcsw());
        a.mov(R7, R1);
        readTaskU64(a, k, CURRENT, k.nivcsw());
        a.add(R7, R1)
                .ldx(DW, R1, R6, 8 * SEED_ARG_SWITCHES)
                .jne(R7, R1, "switched");
        bumpSeq(a);
        a.ldx(DW, R1, R6, 8 * SEED_ARG_CPU_TIME)
                .ldx(DW, R2, R6, 8 * SEED_ARG_MONOTONIC)
                .stx(DW, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS, R1)
                .stx(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, R2)
                .sub(R2, R1)
                .stx(DW, R9, (int) SlotLayout.OFF_CPU_ORIGIN_NS, R2)
                .st(DW, R9, (int) SlotLayout.OFF_CPU_NS, 0);
        readTaskU64(a, k, CURRENT, k.runDelay());
        a.stx(DW, R9, (int) SlotLayout.RUN_DELAY_NS, R1);
        readTaskU64(a, k, CURRENT, k.pcount());
        a.stx(DW, R9, (int) SlotLayout.PCOUNT, R1);
        readTaskU64(a, k, CURRENT, k.nvcsw());
        a.stx(DW, R8, TaskRecord.NVCSW_BASE, R1);
        readTaskU64(a, k, CURRENT, k.nivcsw());
        a.stx(DW, R8, TaskRecord.NIVCSW_BASE, R1)
                .st(DW, R9, (int) SlotLayout.NVCSW, 0)
                .st(DW, R9, (int) SlotLayout.NIVCSW, 0);
        readTaskU64(a, k, CURRENT, k.utime());
        a.stx(DW, R9, (int) SlotLayout.UTIME_NS, R1);
        readTaskU64(a, k, CURRENT, k.stime());
        a.stx(DW, R9, (int) SlotLayout.STIME_NS, R1)
                .call(Helper.GET_SMP_PROCESSOR_ID)
                .stx(W, R9, (int) SlotLayout.CPU, R0);
        bumpSeq(a);
        a.ldx(W, R1, R8, TaskRecord.FLAGS)
                .or(R1, TaskRecord.SEEDED)
                .stx(W, R8, TaskRecord.FLAGS, R1)
                .mov(R0, SEED_OK)
                .exit()
                .label("switched")
                .mov(R0, SEED_SWITCHED)
                .exit()
                .label("no_record")
                .mov(R0, SEED_NO_RECORD)
                .exit();
        return a.build();
    }

    /**
     * The task seed program (task-storage path; SYSCALL type, run through BPF_PROG_TEST_RUN): seeds
     * the record a registrar just put on another thread, named by its id in the caller's PID
     * namespace ({@link #SEED_TASK_ARG_TID}), with that task's values as the kernel keeps them now,
     * utime and stime included, which no file under /proc gives exactly. It seeds only an unseeded
     * record of slot {@link #SEED_TASK_ARG_SLOT_INDEX}: the id may name another thread by now.
     * The task is off CPU as far as the slot says (its next switch-in says otherwise); CPU -1.
     * Answers {@link #SEED_OK}, {@link #SEED_NO_TASK} or {@link #SEED_NO_RECORD}.
     */
    static Instructions seedTask(Lookup lookup, Kernel k, Kfuncs f) {
        Asm a = new Asm();
        a.mov(R6, R1)
                .ldx(DW, R1, R6, 8 * SEED_TASK_ARG_TID)
                .callKernel("bpf_task_from_vpid", f.taskFromVpid())
                .jeq(R0, 0, "no_task")
                .stx(DW, FP, FP_TASK, R0); // referenced: released on every path below
        lookup.emit(a, k, CURRENT, false, "no_record");
        a.ldx(W, R1, R8, TaskRecord.FLAGS)
                .and(R1, TaskRecord.SEEDED)
                .jne(R1, 0, "no_record")
                .ldx(W, R1, R8, TaskRecord.SLOT_INDEX)
                .ldx(DW, R2, R6, 8 * SEED_TASK_ARG_SLOT_INDEX)
                .jne(R1, R2, "no_record");
        bumpSeq(a);
        readTaskU64(a, k, CURRENT, k.sumExecRuntime());
        a.stx(DW, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS, R1)
                .mov(R7, R1)
                .call(Helper.KTIME_GET_NS)
                .sub(R0, R7)
                .stx(DW, R9, (int) SlotLayout.OFF_CPU_ORIGIN_NS, R0)
                .st(DW, R9, (int) SlotLayout.OFF_CPU_NS, 0)
                .st(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, 0)
                .st(W, R9, (int) SlotLayout.CPU, -1);
        readTaskU64(a, k, CURRENT, k.nvcsw());
        a.stx(DW, R8, TaskRecord.NVCSW_BASE, R1);
        readTaskU64(a, k, CURRENT, k.nivcsw());
        a.stx(DW, R8, TaskRecord.NIVCSW_BASE, R1);
        publishCounters(a, k, CURRENT); // nvcsw and nivcsw 0 against the bases just taken
        bumpSeq(a);
        a.ldx(W, R1, R8, TaskRecord.FLAGS)
                .or(R1, TaskRecord.SEEDED)
                .stx(W, R8, TaskRecord.FLAGS, R1)
                .mov(R7, SEED_OK)
                .ja("release")
                .label("no_record")
                .mov(R7, SEED_NO_RECORD)
                .label("release");
        taskPointer(a, CURRENT, R1);
        a.callKernel("bpf_task_release", f.taskRelease())
                .mov(R0, R7)
                .exit()
                .label("no_task")
                .mov(R0, SEED_NO_TASK)
                .exit();
        return a.build();
    }

    // ------------------------------------------------------------------------------ pieces

    /** The kernel's totals of the task switching out (or exiting), final for its run. Clobbers r0-r5. */
    private static void publishSwitchOut(Asm a, Kernel k, int task) {
        readTaskU64(a, k, task, k.sumExecRuntime());
        a.stx(DW, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS, R1);
        publishCounters(a, k, task);
    }

    /** run_delay, pcount, nvcsw, nivcsw, utime, stime of the task, as the kernel has them now. Clobbers r0-r5. */
    private static void publishCounters(Asm a, Kernel k, int task) {
        readTaskU64(a, k, task, k.runDelay());
        a.stx(DW, R9, (int) SlotLayout.RUN_DELAY_NS, R1);
        readTaskU64(a, k, task, k.pcount());
        a.stx(DW, R9, (int) SlotLayout.PCOUNT, R1);
        readTaskU64(a, k, task, k.nvcsw());
        a.ldx(DW, R2, R8, TaskRecord.NVCSW_BASE)
                .sub(R1, R2)
                .stx(DW, R9, (int) SlotLayout.NVCSW, R1);
        readTaskU64(a, k, task, k.nivcsw());
        a.ldx(DW, R2, R8, TaskRecord.NIVCSW_BASE)
                .sub(R1, R2)
                .stx(DW, R9, (int) SlotLayout.NIVCSW, R1);
        readTaskU64(a, k, task, k.utime());
        a.stx(DW, R9, (int) SlotLayout.UTIME_NS, R1);
        readTaskU64(a, k, task, k.stime());
        a.stx(DW, R9, (int) SlotLayout.STIME_NS, R1);
    }

    /**
     * r1 = the run-queue clock sched_info uses, of the run queue {@code task} was picked from
     * ({@code task->se.cfs_rq->rq->clock}: a task queued on a CPU has its cfs_rq set to that
     * CPU's), or 0 when the kernel does not say. Clobbers r0-r5.
     */
    private static void rqClock(Asm a, Kernel k, int task) {
        if (k.cfsRqRq() < 0) {
            a.mov(R1, 0);
            return;
        }
        taskPointer(a, task, R3);
        if (k.direct()) {
            a.ldx(DW, R1, R3, k.seCfsRq())
                    .jeq(R1, 0, "rq_clock_none")
                    .ldx(DW, R1, R1, k.cfsRqRq())
                    .jeq(R1, 0, "rq_clock_none")
                    .ldx(DW, R1, R1, k.rqClock())
                    .ja("rq_clock_done")
                    .label("rq_clock_none")
                    .mov(R1, 0)
                    .label("rq_clock_done");
            return;
        }
        probeRead(a, k.seCfsRq());
        a.ldx(DW, R3, FP, FP_SCRATCH);
        probeRead(a, k.cfsRqRq());
        a.ldx(DW, R3, FP, FP_SCRATCH);
        probeRead(a, k.rqClock());
        a.ldx(DW, R1, FP, FP_SCRATCH);
    }

    /** fp-16 = *(u64 *)(r3 + off) by bpf_probe_read_kernel (0 if unreadable). Clobbers r0-r5. */
    private static void probeRead(Asm a, int off) {
        a.st(DW, FP, FP_SCRATCH, 0)
                .add(R3, off)
                .stackPtr(R1, FP_SCRATCH)
                .mov(R2, 8)
                .call(Helper.PROBE_READ_KERNEL);
    }

    /**
     * *(u32 *)(r9 + seq) += 1 by a fetch-and-add: odd opens a write, even closes it. The fetch form
     * because it is the one every JIT emits fully ordered (x86-64 lock xadd; arm64 LDADDAL, or an
     * exclusive loop with a barrier), so the slot's stores stay between the two increments; a plain
     * atomic add is STADD on arm64, which orders nothing. Clobbers r1 (the old value).
     */
    private static void bumpSeq(Asm a) {
        a.mov(R1, 1).atomicFetchAdd(W, R9, (int) SlotLayout.SEQ, R1);
    }

    /** *(u64 *)(r9 + off) += 1. */
    private static void increment(Asm a, long off) {
        a.ldx(DW, R1, R9, (int) off).add(R1, 1).stx(DW, R9, (int) off, R1);
    }

    /** dst = the task pointer: args[task], or the current task kept on the stack. */
    private static void taskPointer(Asm a, int task, Reg dst) {
        if (task == CURRENT) {
            a.ldx(DW, dst, FP, FP_TASK);
        } else {
            a.ldx(DW, dst, R6, 8 * task);
        }
    }

    /** r1 = *(u64 *)(task + off), a task_struct field. Clobbers r0-r5. */
    private static void readTaskU64(Asm a, Kernel k, int task, int off) {
        taskPointer(a, task, R3);
        if (k.direct() || task == CURRENT) {
            a.ldx(DW, R1, R3, off);
            return;
        }
        a.add(R3, off)
                .stackPtr(R1, FP_SCRATCH)
                .mov(R2, 8)
                .call(Helper.PROBE_READ_KERNEL)
                .ldx(DW, R1, FP, FP_SCRATCH);
    }

    /** fp-8 = (u32) task->pid. Clobbers r0-r5. */
    private static void readTid(Asm a, Kernel k, int task) {
        if (task != SWITCH_NEXT) {
            // prev of sched_switch, the task of sched_process_exit and the seed's are the current task
            a.call(Helper.GET_CURRENT_PID_TGID).stx(W, FP, FP_TID, R0);
            return;
        }
        taskPointer(a, task, R3);
        if (k.direct()) {
            a.ldx(W, R1, R3, k.pid()).stx(W, FP, FP_TID, R1);
            return;
        }
        a.st(DW, FP, FP_SCRATCH, 0)
                .add(R3, k.pid())
                .stackPtr(R1, FP_SCRATCH)
                .mov(R2, 4)
                .call(Helper.PROBE_READ_KERNEL)
                .ldx(W, R1, FP, FP_SCRATCH)
                .stx(W, FP, FP_TID, R1);
    }

    private static void copy(Asm a, long slotOff, int recordOff) {
        a.ldx(DW, R1, R9, (int) slotOff).stx(DW, R6, recordOff, R1);
    }
}
