/**
 * The BPF toolkit: build programs as Java code ({@link dev.taskshared.bpf.asm.Asm}), create maps
 * ({@link dev.taskshared.bpf.BpfMap}, mmapable arrays, maps of maps, ring buffers), load programs
 * with the verifier's log on failure ({@link dev.taskshared.bpf.BpfProgram},
 * {@link dev.taskshared.bpf.VerifierException}), find kernel struct offsets in BTF
 * ({@link dev.taskshared.bpf.btf.Btf}), attach to raw tracepoints ({@link dev.taskshared.bpf.BpfLink})
 * and consume ring buffers through memory ({@link dev.taskshared.bpf.RingBuffer}).
 *
 * <p>A program that counts context switches into an mmapable array, read with plain loads:
 *
 * <pre>{@code
 * try (BpfMap counts = BpfMap.create(MapSpec.array(8, 1).mmapable().named("switches"));
 *      BpfProgram prog = BpfProgram.load(ProgramType.RAW_TRACEPOINT, new Asm()
 *              .st(W, R10, -4, 0)              // u32 key = 0 on the stack
 *              .mapLookup(counts, -4)          // r0 = &counts[0] or NULL
 *              .jeq(R0, 0, "out")
 *              .mov(R1, 1)
 *              .atomicAdd(DW, R0, 0, R1)       // lock *(u64 *)(r0 +0) += 1
 *              .label("out")
 *              .mov(R0, 0)
 *              .exit()
 *              .build());
 *      BpfLink link = prog.attachRawTracepoint("sched_switch")) {
 *     MemorySegment mem = counts.mmap();
 *     long n = (long) JAVA_LONG.varHandle().getAcquire(mem, 0L);
 * }
 * }</pre>
 *
 * Every map, program and link owns a descriptor and is {@link AutoCloseable}; the kernel also
 * releases them when the process dies. Native calls are made only in {@code dev.taskshared.sys}
 * ({@code Bpf}, {@code Mapping}, {@code Epoll}).
 */
package dev.taskshared.bpf;
