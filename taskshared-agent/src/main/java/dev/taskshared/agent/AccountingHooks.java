package dev.taskshared.agent;

import dev.taskshared.agent.bridge.MountHooks;
import dev.taskshared.vthread.MountAccounting;

/** The installed {@link MountHooks}: forwards to the core's {@link MountAccounting}. */
final class AccountingHooks extends MountHooks {
    @Override
    protected Object beforeMount(Thread vthread) {
        return MountAccounting.beforeMount(vthread);
    }

    @Override
    protected void afterMount(Object carrierToken) {
        MountAccounting.afterMount(carrierToken);
    }

    @Override
    protected void beforeUnmount() {
        MountAccounting.beforeUnmount();
    }
}
