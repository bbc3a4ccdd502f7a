package dev.taskshared.taskstats;

/**
 * A socket receive buffer overflowed: the kernel dropped exit records for {@code cpu} because the
 * receiver fell behind.
 *
 * @param cpu the CPU whose records were lost
 * @param droppedRecords records newly found dropped, or -1 when the kernel cannot count them
 *     (before 4.12: no SO_MEMINFO), in which case at least one was
 * @param totalDroppedRecords records dropped on this CPU since the socket was opened (-1: unknown)
 */
public record Overrun(int cpu, long droppedRecords, long totalDroppedRecords) {
}
