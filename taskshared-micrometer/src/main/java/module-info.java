/** Micrometer meters of taskshared; its public types implement Micrometer's, so Micrometer is read transitively. */
module dev.taskshared.micrometer {
    requires transitive dev.taskshared.core;
    requires transitive micrometer.core;

    exports dev.taskshared.micrometer;
}
