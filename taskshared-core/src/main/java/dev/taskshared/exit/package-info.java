/**
 * Registered threads' exits ({@link dev.taskshared.exit.ThreadExit}), as both publishers (this
 * JVM's BPF programs and the host publisher) deliver them. At the bottom of the package graph,
 * depending on nothing else of the library, so that the publishers below the API and the API,
 * taskstats and export packages above them share one exported type.
 */
package dev.taskshared.exit;
