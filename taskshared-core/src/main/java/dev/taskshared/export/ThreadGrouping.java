package dev.taskshared.export;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Maps a thread's name to the group its statistics are published under, so that a metrics
 * system sees one series per group (a thread pool, say) rather than one per thread. A grouping
 * must return few distinct values: {@link ThreadGroupStats} caps the number of groups anyway.
 */
@FunctionalInterface
public interface ThreadGrouping {
    /** The group of a thread named {@code threadName}; never null. */
    String groupOf(String threadName);

    /**
     * The default: the name without its trailing number and the separators before it, as thread
     * pools number their threads ({@code pool-1-thread-7} → {@code pool-1-thread},
     * {@code kv-worker-12} → {@code kv-worker}, {@code ForkJoinPool-1-worker-3} →
     * {@code ForkJoinPool-1-worker}); a name that is only a number → {@value #UNNAMED}.
     */
    static ThreadGrouping stripTrailingNumber() {
        Pattern trailing = Pattern.compile("[\\s\\-_.#:]*\\d+[\\s\\-_.#:]*$");
        return name -> {
            String g = trailing.matcher(name).replaceFirst("");
            return g.isEmpty() ? UNNAMED : g;
        };
    }

    /** Groups by {@code pattern}'s first capturing group; names that do not match go to {@code otherwise}. */
    static ThreadGrouping byPattern(Pattern pattern, String otherwise) {
        Objects.requireNonNull(otherwise, "otherwise");
        if (pattern.matcher("").groupCount() < 1) {
            throw new IllegalArgumentException("pattern " + pattern + " has no capturing group");
        }
        return name -> {
            var m = pattern.matcher(name);
            return m.matches() && m.group(1) != null ? m.group(1) : otherwise;
        };
    }

    /** Group of threads whose name is only a number (or empty). */
    String UNNAMED = "unnamed";
}
