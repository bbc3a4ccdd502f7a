package dev.taskshared.publisher;

import static dev.taskshared.bpf.asm.Reg.FP;
import static dev.taskshared.bpf.asm.Reg.R0;
import static dev.taskshared.bpf.asm.Reg.R1;
import static dev.taskshared.bpf.asm.Reg.R2;
import static dev.taskshared.bpf.asm.Reg.R3;
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
import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.region.SlotLayout;

/**
 * The scheduler programs of the BPF publisher, written with our instruction builder. Their context
 * is the tracepoint's arguments as {@code u64 args[]}. Task fields are at offsets found in the
 * kernel's BTF: loaded directly when the programs are BTF-typed tracepoints (tp_btf, where the
 * verifier knows the arguments are task_struct pointers), read with bpf_probe_read_kernel when
 * they are plain raw tracepoints (the fallback).
 *
 * <p>Every program starts by testing the task's bit in {@code tid_bits}: a miss (a thread nobody
 * registered, nearly every switch on a host) costs an inlined array load. A hit looks the tid up
 * in {@code tid_slot} and finds the slot
 * through {@code pages} (an array of one-page maps) and writes it under the slot's sequence
 * counter, incremented with atomic adds so that the store before it and the stores after are
 * ordered for readers (x86-64: a locked instruction is a full barrier).
 *
 * <p>Who writes what, per slot: sched_switch on the CPU switching the task out, then on the CPU
 * switching it in (never at once: a task is switched in only after its switch-out completed);
 * sched_wakeup writes only the private {@code runnable_since_ns}, of a task that is off CPU.
 */
final class SchedPrograms {

    // Stack of every program.
    private static final int FP_TID = -8;        // u32 key of tid_slot
    private static final int FP_SCRATCH = -16;   // u64 for bpf_probe_read_kernel
    private static final int FP_PAGE = -24;      // u32 key of pages
    private static final int FP_INDEX = -32;     // u32 key of a page

    /** Exit record sent through the ring buffer, declared once (see {@link BpfExitEvent}). */
    static final int EXIT_RECORD_SIZE = BpfExitEvent.SIZE;

    /**
     * Offsets in struct task_struct, from BTF, and how the programs reach them: {@code direct}
     * loads from the typed pointers of a BTF-typed tracepoint (tp_btf), or bpf_probe_read_kernel
     * from a raw tracepoint's untyped arguments.
     */
    record TaskOffsets(int pid, int sumExecRuntime, int runDelay, int pcount, boolean direct) {
        static TaskOffsets fromBtf(Btf btf, boolean direct) {
            return new TaskOffsets(
                    (int) btf.offsetOf("task_struct", "pid"),
                    (int) btf.offsetOf("task_struct", "se.sum_exec_runtime"),
                    (int) btf.offsetOf("task_struct", "sched_info.run_delay"),
                    (int) btf.offsetOf("task_struct", "sched_info.pcount"),
                    direct);
        }
    }

    private SchedPrograms() {
    }

    /**
     * The publisher's maps: {@code tidBits}, one bit per possible tid, set for registered
     * threads (an array lookup the verifier inlines, so a miss is cheap); {@code tidSlot}, tid to
     * global slot index; {@code pages}, the array of one-page slot maps; {@code exits}, the ring
     * buffer of exit records, and {@code drops}, its loss counter.
     */
    record Maps(MapRef tidBits, MapRef tidSlot, MapRef pages, MapRef exits, MapRef drops) {
    }

    /**
     * r9 = the slot of the tid stored at fp-8, or goto {@code miss}. Clobbers r0-r5. The tid's
     * bit in tid_bits filters first; then tid_slot[tid] is the global slot index: page = index /
     * 32, slot in page = index % 32.
     */
    private static void lookupSlot(Asm a, Maps m, String miss) {
        a.ldx(W, R1, FP, FP_TID)
                .mov(R2, R1)
                .rsh(R2, 6)
                .stx(W, FP, FP_PAGE, R2)       // key: the tid's 64-bit word
                .and(R1, 63)
                .stx(W, FP, FP_INDEX, R1)      // the tid's bit in it
                .mapLookup(m.tidBits(), FP_PAGE)
                .jeq(R0, 0, miss)
                .ldx(DW, R1, R0, 0)
                .ldx(W, R2, FP, FP_INDEX)
                .rsh(R1, R2)
                .and(R1, 1)
                .jeq(R1, 0, miss);
        a.mapLookup(m.tidSlot(), FP_TID)
                .jeq(R0, 0, miss)
                .ldx(W, R1, R0, 0)
                .mov(R2, R1)
                .rsh(R2, 5)
                .stx(W, FP, FP_PAGE, R2)
                .and(R1, SlotLayout.SLOTS_PER_PAGE - 1)
                .stx(W, FP, FP_INDEX, R1)
                .mapLookup(m.pages(), FP_PAGE)
                .jeq(R0, 0, miss)
                .mov(R1, R0)
                .stackPtr(R2, FP_INDEX)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(R0, 0, miss)
                .mov(R9, R0);
    }

    /** r7 = bpf_ktime_get_ns() unless already read. Clobbers r0-r5. */
    private static void now(Asm a, String label) {
        a.jne(R7, 0, label)
                .call(Helper.KTIME_GET_NS)
                .mov(R7, R0)
                .label(label);
    }

    /** *(u32 *)(r9 + seq) += 1, atomically: odd opens a write, even closes it. */
    private static void bumpSeq(Asm a) {
        a.mov(R1, 1).atomicAdd(W, R9, (int) SlotLayout.SEQ, R1);
    }

    /** *(u64 *)(r9 + off) += 1. */
    private static void increment(Asm a, long off) {
        a.ldx(DW, R1, R9, (int) off).add(R1, 1).stx(DW, R9, (int) off, R1);
    }

    /** r1 = *(u64 *)(args[argIndex] + off), a field of a task_struct argument. Clobbers r0-r5. */
    private static void readTaskU64(Asm a, int argIndex, int off, boolean direct) {
        if (direct) {
            a.ldx(DW, R3, R6, 8 * argIndex).ldx(DW, R1, R3, off);
            return;
        }
        a.ldx(DW, R3, R6, 8 * argIndex)
                .add(R3, off)
                .stackPtr(R1, FP_SCRATCH)
                .mov(R2, 8)
                .call(Helper.PROBE_READ_KERNEL)
                .ldx(DW, R1, FP, FP_SCRATCH);
    }

    /** fp-8 = (u32) task->pid for the task pointer in args[argIndex]. Clobbers r0-r5. */
    private static void readTid(Asm a, int argIndex, int pidOff, boolean direct) {
        if (direct) {
            a.ldx(DW, R3, R6, 8 * argIndex).ldx(W, R1, R3, pidOff).stx(W, FP, FP_TID, R1);
            return;
        }
        a.st(DW, FP, FP_SCRATCH, 0)
                .ldx(DW, R3, R6, 8 * argIndex)
                .add(R3, pidOff)
                .stackPtr(R1, FP_SCRATCH)
                .mov(R2, 4)
                .call(Helper.PROBE_READ_KERNEL)
                .ldx(W, R1, FP, FP_SCRATCH)
                .stx(W, FP, FP_TID, R1);
    }

    /**
     * sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state).
     *
     * <pre>
     * prev registered: sum_exec_runtime = prev->se.sum_exec_runtime (the kernel's, exact at switch-out);
     *                  run_delay, pcount = the kernel's;  on_cpu_since = 0;
     *                  !preempt && prev_state ? nvcsw++ : nivcsw++;  prev_state == 0 (still runnable) ? runnable_since = now
     * next registered: cpu changed ? migrations++;  sum_exec_runtime = next->se.sum_exec_runtime;
     *                  off_cpu = now - sum_exec_runtime - off_cpu_origin;
     *                  run_delay += now - runnable_since;  pcount++;  on_cpu_since = now
     * </pre>
     */
    static Instructions schedSwitch(Maps m, TaskOffsets off) {
        Asm a = new Asm();
        a.mov(R6, R1)
                .mov(R7, 0); // now: read on the first hit only, so a miss costs no clock read

        // ---- prev, switching out: it is the current task.
        a.call(Helper.GET_CURRENT_PID_TGID)
                .stx(W, FP, FP_TID, R0);
        lookupSlot(a, m, "next");
        now(a, "prev_now");
        bumpSeq(a);
        readTaskU64(a, 1, off.sumExecRuntime(), off.direct());
        a.stx(DW, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS, R1);
        // run_delay and pcount: the kernel's own, exact while the thread is off CPU (its switch-in
        // adds an estimate of the arrival the kernel is about to count).
        readTaskU64(a, 1, off.runDelay(), off.direct());
        a.stx(DW, R9, (int) SlotLayout.RUN_DELAY_NS, R1);
        readTaskU64(a, 1, off.pcount(), off.direct());
        a.stx(DW, R9, (int) SlotLayout.PCOUNT, R1)
                .st(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, 0)
                .ldx(DW, R1, R6, 0)            // preempt
                .ldx(DW, R2, R6, 24)           // prev_state
                .jne(R1, 0, "involuntary")
                .jeq32(R2, 0, "involuntary");
        increment(a, SlotLayout.NVCSW);
        a.ja("prev_done")
                .label("involuntary");
        increment(a, SlotLayout.NIVCSW);
        a.label("prev_done")
                .ldx(DW, R2, R6, 24)
                .jne32(R2, 0, "prev_closed")   // blocked: not waiting for a CPU
                .stx(DW, R9, (int) SlotLayout.RUNNABLE_SINCE_NS, R7)
                .label("prev_closed");
        bumpSeq(a);

        // ---- next, switching in.
        a.label("next");
        readTid(a, 2, off.pid(), off.direct());
        lookupSlot(a, m, "out");
        now(a, "next_now");
        bumpSeq(a);
        a.call(Helper.GET_SMP_PROCESSOR_ID)
                .ldx(W, R1, R9, (int) SlotLayout.CPU)
                .jmp32(JmpOp.JEQ, R1, R0, "same_cpu")
                .jeq32(R1, -1, "set_cpu");     // first switch-in since registration
        increment(a, SlotLayout.MIGRATIONS);
        a.label("set_cpu")
                .stx(W, R9, (int) SlotLayout.CPU, R0)
                .label("same_cpu");
        // off_cpu = now - (kernel CPU time) - origin: wall minus CPU since registration, so that
        // on + off = wall exactly in the kernel's own CPU accounting. Kept monotonic.
        readTaskU64(a, 2, off.sumExecRuntime(), off.direct());
        a.stx(DW, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS, R1) // the kernel's final sum of the last run
                .mov(R2, R7)
                .sub(R2, R1)
                .ldx(DW, R1, R9, (int) SlotLayout.OFF_CPU_ORIGIN_NS)
                .sub(R2, R1)
                .ldx(DW, R1, R9, (int) SlotLayout.OFF_CPU_NS)
                .jslt(R2, R1, "no_off")
                .stx(DW, R9, (int) SlotLayout.OFF_CPU_NS, R2)
                .label("no_off")
                .ldx(DW, R1, R9, (int) SlotLayout.RUNNABLE_SINCE_NS)
                .jeq(R1, 0, "no_wait")
                .mov(R2, R7)
                .sub(R2, R1)
                .ldx(DW, R1, R9, (int) SlotLayout.RUN_DELAY_NS)
                .add(R1, R2)
                .stx(DW, R9, (int) SlotLayout.RUN_DELAY_NS, R1)
                .st(DW, R9, (int) SlotLayout.RUNNABLE_SINCE_NS, 0)
                .label("no_wait");
        increment(a, SlotLayout.PCOUNT);
        a.stx(DW, R9, (int) SlotLayout.ON_CPU_SINCE_NS, R7);
        bumpSeq(a);
        a.label("out")
                .mov(R0, 0)
                .exit();
        return a.build();
    }

    /**
     * sched_wakeup(struct task_struct *p) and sched_wakeup_new: a registered task that is off
     * CPU and not yet waiting starts waiting for a CPU now.
     */
    static Instructions schedWakeup(Maps m, TaskOffsets off) {
        Asm a = new Asm();
        a.mov(R6, R1);
        readTid(a, 0, off.pid(), off.direct());
        lookupSlot(a, m, "out");
        a.ldx(DW, R1, R9, (int) SlotLayout.ON_CPU_SINCE_NS)
                .jne(R1, 0, "out")
                .ldx(DW, R1, R9, (int) SlotLayout.RUNNABLE_SINCE_NS)
                .jne(R1, 0, "out")
                .call(Helper.KTIME_GET_NS)
                .stx(DW, R9, (int) SlotLayout.RUNNABLE_SINCE_NS, R0)
                .label("out")
                .mov(R0, 0)
                .exit();
        return a.build();
    }

    /**
     * sched_process_exit(struct task_struct *p, ...): p is the current task. A registered task's
     * final numbers go to the ring buffer ({@link BpfExitEvent}), or the drop counter counts
     * them, and its tid leaves tid_slot so that nothing writes the slot again.
     */
    static Instructions schedProcessExit(Maps m) {
        Asm a = new Asm();
        a.mov(R6, R1)
                .call(Helper.GET_CURRENT_PID_TGID)
                .mov(R8, R0)
                .stx(W, FP, FP_TID, R0);
        lookupSlot(a, m, "out");
        a.call(Helper.KTIME_GET_NS)
                .mov(R7, R0)
                .ldMap(R1, m.exits())
                .mov(R2, EXIT_RECORD_SIZE)
                .mov(R3, 0)
                .call(Helper.RINGBUF_RESERVE)
                .jne(R0, 0, "reserved")
                // Full ring buffer: count the loss where user space reads it.
                .st(W, FP, FP_INDEX, 0)
                .mapLookup(m.drops(), FP_INDEX)
                .jeq(R0, 0, "forget")
                .mov(R1, 1)
                .atomicAdd(DW, R0, 0, R1)
                .ja("forget")
                .label("reserved")
                .mov(R6, R0)
                .stx(W, R6, BpfExitEvent.TID, R8)
                .mov(R1, R8)
                .rsh(R1, 32)
                .stx(W, R6, BpfExitEvent.TGID, R1)
                .ldx(W, R1, FP, FP_PAGE)
                .lsh(R1, 5)
                .ldx(W, R2, FP, FP_INDEX)
                .or(R1, R2)
                .stx(W, R6, BpfExitEvent.SLOT, R1)
                .call(Helper.GET_SMP_PROCESSOR_ID)
                .stx(W, R6, BpfExitEvent.CPU, R0)
                .stx(DW, R6, BpfExitEvent.EXIT_TIME_NS, R7)
                // sum_exec_runtime now = sum at switch-in + time since (the task is running)
                .ldx(DW, R1, R9, (int) SlotLayout.SUM_EXEC_RUNTIME_NS)
                .ldx(DW, R2, R9, (int) SlotLayout.ON_CPU_SINCE_NS)
                .jeq(R2, 0, "sum_ready")
                .mov(R3, R7)
                .sub(R3, R2)
                .add(R1, R3)
                .label("sum_ready")
                .stx(DW, R6, BpfExitEvent.SUM_EXEC_RUNTIME_NS, R1);
        copy(a, SlotLayout.RUN_DELAY_NS, BpfExitEvent.RUN_DELAY_NS);
        copy(a, SlotLayout.PCOUNT, BpfExitEvent.PCOUNT);
        copy(a, SlotLayout.OFF_CPU_NS, BpfExitEvent.OFF_CPU_NS);
        copy(a, SlotLayout.NVCSW, BpfExitEvent.NVCSW);
        copy(a, SlotLayout.NIVCSW, BpfExitEvent.NIVCSW);
        copy(a, SlotLayout.MIGRATIONS, BpfExitEvent.MIGRATIONS);
        a.mov(R1, R6)
                .add(R1, BpfExitEvent.COMM)
                .mov(R2, BpfExitEvent.COMM_SIZE)
                .call(Helper.GET_CURRENT_COMM)
                .mov(R1, R6)
                .mov(R2, 0)
                .call(Helper.RINGBUF_SUBMIT)
                .label("forget")
                .ldMap(R1, m.tidSlot())
                .stackPtr(R2, FP_TID)
                .call(Helper.MAP_DELETE_ELEM)
                .label("out")
                .mov(R0, 0)
                .exit();
        return a.build();
    }

    private static void copy(Asm a, long slotOff, int recordOff) {
        a.ldx(DW, R1, R9, (int) slotOff).stx(DW, R6, recordOff, R1);
    }
}
