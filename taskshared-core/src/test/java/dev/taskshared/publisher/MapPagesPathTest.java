package dev.taskshared.publisher;

/**
 * The accuracy tests of {@link BpfPublisherTest} on the map-pages data path (the fallback for
 * kernels without task storage with {@code __uptr}), forced here.
 */
class MapPagesPathTest extends BpfPublisherTest {
    @Override
    BpfPublisher.DataPath dataPath() {
        return BpfPublisher.DataPath.MAP_PAGES;
    }
}
