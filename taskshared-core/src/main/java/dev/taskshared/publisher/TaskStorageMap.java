package dev.taskshared.publisher;

import dev.taskshared.bpf.BpfMap;
import dev.taskshared.bpf.LoadedBtf;
import dev.taskshared.bpf.MapSpec;
import dev.taskshared.bpf.btf.BtfWriter;
import dev.taskshared.region.SlotLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates the task-storage map of the task-storage data path: value {@link TaskRecord}, whose
 * first field BTF declares a {@code __uptr} to {@code struct taskshared_slot}, so that the kernel
 * pins the registering process's page and hands the programs a pointer into it. The BTF is
 * written from the same layouts the library reads with ({@link SlotLayout}, {@link TaskRecord}).
 * Needs CAP_BPF (map creation); used by a JVM's own publisher and by the host publisher's install.
 */
final class TaskStorageMap {
    private TaskStorageMap() {
    }

    /** A new task-storage map named {@code name}; the BTF it was created against is held by the map. */
    static BpfMap create(String name) {
        BtfWriter w = new BtfWriter();
        int intId = w.addInt("int", 4, true);
        int u32 = w.addInt("unsigned int", 4, false);
        int u64 = w.addInt("unsigned long long", 8, false);
        int slotType = w.addStruct("taskshared_slot", SlotLayout.SLOT_SIZE, membersOf(SlotLayout.LAYOUT, u32, u64));
        int uptr = w.addPointer(w.addTypeTag("uptr", slotType));
        List<BtfWriter.Member> fields = new ArrayList<>(membersOf(TaskRecord.LAYOUT, u32, u64));
        fields.set(0, new BtfWriter.Member("slot", uptr, TaskRecord.SLOT));
        int recordType = w.addStruct("ts_task", TaskRecord.SIZE, fields);
        try (LoadedBtf btf = LoadedBtf.load(w.build())) { // the map keeps its own reference to the BTF
            return BpfMap.create(MapSpec.taskStorage(TaskRecord.SIZE).named(name).withBtf(btf, intId, recordType));
        }
    }

    /** BTF members of a layout's named u32 / u64 fields (padding skipped). */
    private static List<BtfWriter.Member> membersOf(StructLayout layout, int u32, int u64) {
        List<BtfWriter.Member> out = new ArrayList<>();
        long offset = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (m.name().isPresent() && m instanceof ValueLayout v) {
                out.add(new BtfWriter.Member(m.name().get(), v.byteSize() == 8 ? u64 : u32, offset));
            }
            offset += m.byteSize();
        }
        return out;
    }
}
