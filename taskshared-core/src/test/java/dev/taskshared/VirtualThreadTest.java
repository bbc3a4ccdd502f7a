package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskshared.sys.Libc;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A handle on a virtual thread is its carrier's; an Interval that changes carrier says so. */
class VirtualThreadTest {

    @Test
    void intervalIsValidExactlyWhenTheCarrierStayedTheSame() throws Exception {
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger moved = new AtomicInteger();
        AtomicInteger stayed = new AtomicInteger();
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build()) {
            Thread[] vts = new Thread[64];
            for (int i = 0; i < vts.length; i++) {
                vts[i] = Thread.ofVirtual().start(() -> {
                    int onEntry = Libc.gettid();
                    ThreadStats carrier = ts.currentThread();
                    int onExit = Libc.gettid();
                    // The registry's lock may unmount us mid-call (JDK 24+), so the handle is the
                    // carrier of one of those two moments.
                    if (carrier.tid() != onEntry && carrier.tid() != onExit) {
                        wrong.incrementAndGet();
                    }
                    Interval in = carrier.newInterval().start();
                    int before = Libc.gettid();
                    try {
                        Thread.sleep(2); // unmounts; may resume on another carrier
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    int after = Libc.gettid();
                    in.stop();
                    // valid exactly when start and stop both ran on the handle's carrier
                    if (in.valid() != (before == carrier.tid() && after == carrier.tid())) {
                        wrong.incrementAndGet();
                    }
                    if (in.valid()) {
                        stayed.incrementAndGet();
                    } else {
                        moved.incrementAndGet();
                        try {
                            in.cpuNanos();
                            wrong.incrementAndGet();
                        } catch (IllegalStateException expected) {
                            // the interval refuses to report another thread's numbers
                        }
                    }
                });
            }
            for (Thread t : vts) {
                t.join();
            }
        }
        assertThat(wrong.get()).isZero();
        assertThat(stayed.get() + moved.get()).isEqualTo(64);
    }

    @Test
    void anUnstoppedIntervalRefusesToAnswer() {
        try (TaskShared ts = TaskShared.builder().mode(Mode.SAMPLING).build()) {
            Interval in = ts.currentThread().newInterval().start();
            assertThatThrownBy(in::wallNanos).isInstanceOf(IllegalStateException.class).hasMessageContaining("not stopped");
        }
    }
}
