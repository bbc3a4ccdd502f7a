/**
 * OpenTelemetry instruments and span attributes of taskshared, on the OpenTelemetry API only:
 * {@link dev.taskshared.opentelemetry.TaskSharedMetrics} (per thread group) and
 * {@link dev.taskshared.opentelemetry.SpanSchedulerStats} (per span).
 */
package dev.taskshared.opentelemetry;
