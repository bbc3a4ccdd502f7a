/**
 * What the metrics and event integrations share: per-group totals of registered threads that
 * never go backwards ({@link dev.taskshared.export.ThreadGroupStats}, grouped by
 * {@link dev.taskshared.export.ThreadGrouping}), and which numbers of an Interval may be
 * published ({@link dev.taskshared.export.IntervalCheck}).
 */
package dev.taskshared.export;
