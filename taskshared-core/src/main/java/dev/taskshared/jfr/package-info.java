/**
 * JDK Flight Recorder events of taskshared (no dependency: {@code jdk.jfr} is part of the JDK):
 * see {@link dev.taskshared.jfr.TaskSharedEvents}.
 */
package dev.taskshared.jfr;
