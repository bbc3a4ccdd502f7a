package dev.taskshared.publisher;

import dev.taskshared.bpf.BpfMap;
import dev.taskshared.region.PageOpener;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Opens a BPF-mode region's pages by map id (BPF_MAP_GET_FD_BY_ID, which needs CAP_SYS_ADMIN) and maps them. */
public final class BpfPageOpener implements PageOpener {
    private final List<BpfMap> maps = new ArrayList<>();

    @Override
    public synchronized MemorySegment open(long id) {
        BpfMap map = BpfMap.openById((int) id);
        maps.add(map);
        return map.mmap();
    }

    @Override
    public synchronized void close() {
        for (BpfMap m : maps) {
            m.close();
        }
        maps.clear();
    }
}
