/**
 * BPF instructions in the spirit of cilium/ebpf's {@code asm}: typed opcode parts
 * ({@link dev.taskshared.bpf.asm.OpClass}, {@link dev.taskshared.bpf.asm.Size},
 * {@link dev.taskshared.bpf.asm.AddressMode}, {@link dev.taskshared.bpf.asm.AluOp},
 * {@link dev.taskshared.bpf.asm.JmpOp}, {@link dev.taskshared.bpf.asm.Source},
 * {@link dev.taskshared.bpf.asm.AtomicOp}), the {@link dev.taskshared.bpf.asm.Insn} record with its
 * verifier-notation {@code toString()}, and the {@link dev.taskshared.bpf.asm.Asm} builder with labels
 * resolved at encode time. Pure Java, no kernel needed.
 */
package dev.taskshared.bpf.asm;
