package dev.taskshared.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.bpf.btf.Btf;
import dev.taskshared.bpf.btf.BtfKind;
import dev.taskshared.testing.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BtfTest {
    static final List<String> FIELDS = List.of("pid", "tgid", "comm", "__state", "se.sum_exec_runtime", "se.nr_migrations",
            "sched_info.run_delay", "sched_info.pcount", "nvcsw", "nivcsw", "thread_info.cpu");

    @BeforeAll
    static void requireBtf() {
        Privileged.require("bpf", Btf.vmlinuxAvailable(), "/sys/kernel/btf/vmlinux is not readable");
    }

    @Test
    void parsesVmlinuxQuickly() throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of("/sys/kernel/btf/vmlinux"));
        long t0 = System.nanoTime();
        Btf btf = Btf.parse(bytes);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(btf.typeCount()).isGreaterThan(10_000);
        assertThat(ms).as("parse time ms").isLessThan(2_000);
        assertThat(btf.offsetOf("task_struct", "pid")).isEqualTo(Btf.vmlinux().offsetOf("task_struct", "pid"));
        System.out.println("vmlinux BTF: " + btf.typeCount() + " types parsed in " + ms + " ms");
    }

    @Test
    void findsTaskStructFields() {
        Btf btf = Btf.vmlinux();
        Map<String, Long> offsets = new LinkedHashMap<>();
        for (String f : FIELDS) {
            offsets.put(f, btf.offsetOf("task_struct", f));
        }
        System.out.println("task_struct offsets: " + offsets);
        try {
            System.out.println("task_struct.cpu: " + btf.offsetOf("task_struct", "cpu"));
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage());
        }
        // thread_info is the first member of task_struct on x86 (THREAD_INFO_IN_TASK)
        assertThat(offsets.get("thread_info.cpu")).isLessThan(64);
        assertThat(offsets.get("tgid") - offsets.get("pid")).isEqualTo(4);
        assertThat(btf.field("task_struct", "comm").size()).isEqualTo(16);
        assertThat(btf.field("task_struct", "pid").size()).isEqualTo(4);
        assertThat(btf.field("task_struct", "se.sum_exec_runtime").size()).isEqualTo(8);
        assertThat(btf.field("task_struct", "sched_info.run_delay").size()).isEqualTo(8);
        // nested offsets are the container's plus the member's
        assertThat(offsets.get("se.sum_exec_runtime"))
                .isEqualTo(btf.offsetOf("task_struct", "se") + btf.offsetOf("sched_entity", "sum_exec_runtime"));
    }

    @Test
    void looksThroughAnonymousMembersAndBitfields() {
        Btf btf = Btf.vmlinux();
        // struct sk_buff keeps len inside nothing anonymous, but its list heads sit in an anonymous union of structs
        assertThat(btf.offsetOf("sk_buff", "next")).isZero();
        // task_struct's bitfields (sched_reset_on_fork and friends) have bit offsets
        Btf.Field bit = btf.field("task_struct", "sched_reset_on_fork");
        assertThat(bit.isBitfield()).isTrue();
        assertThat(bit.bitfieldSize()).isEqualTo(1);
    }

    @Test
    void typeIdsAndErrors() {
        Btf btf = Btf.vmlinux();
        int id = btf.structId("task_struct");
        assertThat(btf.kind(id)).isEqualTo(BtfKind.STRUCT);
        assertThat(btf.name(id)).isEqualTo("task_struct");
        assertThat(btf.sizeOf(id)).isGreaterThan(1000);
        assertThat(btf.typeId("btf_trace_sched_switch", BtfKind.TYPEDEF)).isPresent();
        assertThatThrownBy(() -> btf.offsetOf("task_struct", "se.no_such_field")).hasMessageContaining("no_such_field")
                .hasMessageContaining("sched_entity");
        assertThatThrownBy(() -> btf.structId("no_such_struct_xyz")).hasMessageContaining("no struct no_such_struct_xyz");
    }
}
