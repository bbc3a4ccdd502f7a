/** OpenTelemetry metrics and span attributes of taskshared (API only); its public signatures use the OpenTelemetry API. */
module dev.taskshared.opentelemetry {
    requires transitive dev.taskshared.core;
    requires transitive io.opentelemetry.api;

    exports dev.taskshared.opentelemetry;
}
