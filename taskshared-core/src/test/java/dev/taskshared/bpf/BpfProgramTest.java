package dev.taskshared.bpf;

import static dev.taskshared.bpf.asm.Reg.R0;
import static dev.taskshared.bpf.asm.Reg.R1;
import static dev.taskshared.bpf.asm.Reg.R10;
import static dev.taskshared.bpf.asm.Reg.R2;
import static dev.taskshared.bpf.asm.Reg.R3;
import static dev.taskshared.bpf.asm.Reg.R4;
import static dev.taskshared.bpf.asm.Reg.R6;
import static dev.taskshared.bpf.asm.Reg.R7;
import static dev.taskshared.bpf.asm.Size.DW;
import static dev.taskshared.bpf.asm.Size.W;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.bpf.asm.Asm;
import dev.taskshared.bpf.asm.Helper;
import dev.taskshared.bpf.asm.Instructions;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BpfProgramTest {
    @BeforeEach
    void requireBpf() {
        BpfTesting.requireBpf();
    }

    @Test
    void uninitialisedRegisterIsRefusedWithTheVerifierLog() {
        Instructions prog = new Asm().mov(R0, R2).exit().build();
        assertThatThrownBy(() -> BpfProgram.load(ProgramType.RAW_TRACEPOINT, prog))
                .isInstanceOfSatisfying(VerifierException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EACCES");
                    assertThat(e.log()).contains("R2 !read_ok").contains("processed");
                    assertThat(e.reason()).isEqualTo("R2 !read_ok");
                    assertThat(e.getMessage()).contains("BPF_PROG_LOAD").contains("R2 !read_ok");
                });
    }

    @Test
    void outOfBoundsMapValueAccessIsRefused() {
        try (BpfMap map = BpfMap.create(MapSpec.array(128, 1))) {
            Instructions prog = new Asm()
                    .st(W, R10, -4, 0)
                    .mapLookup(map, -4)
                    .jeq(R0, 0, "out")
                    .ldx(DW, R1, R0, 128) // one past the 128-byte value
                    .label("out")
                    .mov(R0, 0)
                    .exit()
                    .build();
            assertThatThrownBy(() -> BpfProgram.load(ProgramType.RAW_TRACEPOINT, prog))
                    .isInstanceOfSatisfying(VerifierException.class, e -> {
                        assertThat(e.log()).contains("invalid access to map value, value_size=128 off=128 size=8");
                        assertThat(e.reason()).contains("outside of the allowed memory range");
                    });
        }
    }

    @Test
    void testRunReturnsR0AndInfoReportsTheProgram() {
        // r0 = args[0] + args[1]
        Instructions prog = new Asm().ldx(DW, R0, R1, 0).ldx(DW, R2, R1, 8).add(R0, R2).exit().build();
        try (BpfProgram p = BpfProgram.load(ProgramSpec.of(ProgramType.RAW_TRACEPOINT, prog).named("ts_test_add"))) {
            assertThat(p.run(40, 2)).isEqualTo(42);
            ProgramInfo info = p.info();
            assertThat(info.name()).isEqualTo("ts_test_add");
            assertThat(ProgramType.of(info.type())).isEqualTo(ProgramType.RAW_TRACEPOINT);
            assertThat(info.id()).isPositive();
            assertThat(info.xlatedLength()).isEqualTo(4 * 8);
            assertThat(info.tag()).hasSize(16);
        }
    }

    @Test
    void logLevelKeepsTheLogOfASuccessfulLoad() {
        Instructions prog = new Asm().mov(R0, 0).exit().build();
        try (BpfProgram p = BpfProgram.load(ProgramSpec.of(ProgramType.RAW_TRACEPOINT, prog).withLogLevel(2))) {
            assertThat(p.verifierLog()).contains("processed 2 insns");
        }
    }

    @Test
    void ringBufferRoundTripWithDiscardAndEpoll() {
        try (BpfMap rb = BpfMap.create(MapSpec.ringbuf(4096).named("ts_test_rb"));
                RingBuffer ring = RingBuffer.open(rb)) {
            // output {args[0], args[1]} with bpf_ringbuf_output
            Instructions output = new Asm()
                    .mov(R6, R1)
                    .ldx(DW, R1, R6, 0).stx(DW, R10, -16, R1)
                    .ldx(DW, R1, R6, 8).stx(DW, R10, -8, R1)
                    .ldMap(R1, rb).stackPtr(R2, -16).mov(R3, 16).mov(R4, 0)
                    .call(Helper.RINGBUF_OUTPUT)
                    .mov(R0, 0).exit()
                    .build();
            // reserve 8 bytes, write args[0], submit if even, discard if odd
            Instructions reserve = new Asm()
                    .mov(R6, R1)
                    .ldMap(R1, rb).mov(R2, 8).mov(R3, 0).call(Helper.RINGBUF_RESERVE)
                    .jeq(R0, 0, "out")
                    .ldx(DW, R7, R6, 0).stx(DW, R0, 0, R7)
                    .mov(R1, R0).mov(R2, 0)
                    .and(R7, 1)
                    .jne(R7, 0, "discard")
                    .call(Helper.RINGBUF_SUBMIT).ja("out")
                    .label("discard")
                    .call(Helper.RINGBUF_DISCARD)
                    .label("out")
                    .mov(R0, 0).exit()
                    .build();
            try (BpfProgram out = BpfProgram.load(ProgramType.RAW_TRACEPOINT, output);
                    BpfProgram res = BpfProgram.load(ProgramType.RAW_TRACEPOINT, reserve)) {
                List<long[]> got = new ArrayList<>();
                assertThat(ring.poll(s -> got.add(s.toArray(JAVA_LONG)), Duration.ofMillis(20))).isZero(); // times out
                out.run(1, 2);
                res.run(10);
                res.run(11); // discarded
                out.run(3, 4);
                assertThat(ring.pending()).isEqualTo(4 * 8 + 3 * 8 + 24 + 24 - 16 - 8);
                assertThat(ring.poll(s -> got.add(s.toArray(JAVA_LONG)), Duration.ofSeconds(5))).isEqualTo(3);
                assertThat(got).containsExactly(new long[] {1, 2}, new long[] {10}, new long[] {3, 4});
                assertThat(ring.pending()).isZero();
                // wrap around the end of the 4 KiB ring many times
                got.clear();
                for (int k = 0; k < 1000; k++) {
                    out.run(k, -k);
                    if (k % 50 == 49) {
                        ring.drain(s -> got.add(s.toArray(JAVA_LONG)));
                    }
                }
                assertThat(got).hasSize(1000);
                assertThat(got.get(999)).containsExactly(999, -999);
            }
        }
    }

    @Test
    void ringBufferRecordsAreReadOnlyViews() {
        try (BpfMap rb = BpfMap.create(MapSpec.ringbuf(4096)); RingBuffer ring = RingBuffer.open(rb)) {
            Instructions prog = new Asm().st(DW, R10, -8, 7).ldMap(R1, rb).stackPtr(R2, -8).mov(R3, 8).mov(R4, 0)
                    .call(Helper.RINGBUF_OUTPUT).mov(R0, 0).exit().build();
            try (BpfProgram p = BpfProgram.load(ProgramType.RAW_TRACEPOINT, prog)) {
                p.run();
                List<MemorySegment> seen = new ArrayList<>();
                ring.drain(seen::add);
                assertThat(seen).hasSize(1);
                assertThat(seen.get(0).isReadOnly()).isTrue();
            }
        }
    }
}
