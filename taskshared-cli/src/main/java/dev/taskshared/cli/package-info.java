/** The {@code taskshared} command: parses arguments and formats output; the library does the work. */
package dev.taskshared.cli;
