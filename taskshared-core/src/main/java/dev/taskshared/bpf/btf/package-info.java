/** A reader of BTF, the kernel's type information: struct member offsets and type ids. */
package dev.taskshared.bpf.btf;
