/**
 * Micrometer meters of taskshared: {@link dev.taskshared.micrometer.TaskSharedThreadMetrics} (per
 * thread group) and {@link dev.taskshared.micrometer.OperationMetrics} (per operation).
 */
package dev.taskshared.micrometer;
