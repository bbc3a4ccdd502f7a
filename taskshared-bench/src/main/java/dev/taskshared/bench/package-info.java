/** JMH benchmarks of the read path; {@code taskshared bench} runs them in one JVM run. */
package dev.taskshared.bench;
