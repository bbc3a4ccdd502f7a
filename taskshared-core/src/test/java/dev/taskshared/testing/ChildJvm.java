package dev.taskshared.testing;

import java.io.File;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The class path for a child JVM that a test starts with {@code -cp} (probes, the CLI's own
 * {@code Main}). Surefire runs the tests on the module path (the core as module
 * {@code dev.taskshared.core}, its tests patched into it), so {@code java.class.path} alone
 * lacks the library; the children run on the class path instead, with everything of this JVM's
 * module path and class path, so they need {@code --enable-native-access=ALL-UNNAMED}.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** This JVM's module path and class path entries, as one class path. */
    public static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String property : new String[] {"jdk.module.path", "java.class.path"}) {
            String value = System.getProperty(property, "");
            for (String e : value.split(File.pathSeparator)) {
                if (!e.isEmpty()) {
                    entries.add(e);
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
