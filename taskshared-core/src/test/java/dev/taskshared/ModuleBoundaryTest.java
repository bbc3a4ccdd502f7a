package dev.taskshared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the module boundary from rotting: no package of the core depends on another that
 * depends back on it, and none below the API (sys, exit, bpf, region, publisher, host, taskstats)
 * names the API (read from the sources: imports and qualified names in code), and no public
 * signature of an exported package (supertypes, fields, constructors, methods with their
 * exceptions, record components, nested types) mentions a type of a package that is not
 * exported to everyone (read by reflection from the compiled classes, exports from
 * module-info.java). A qualified export ({@code exports p to m}) is internal for this purpose.
 */
class ModuleBoundaryTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final String ROOT = "dev.taskshared";
    private static final Pattern EXPORTS = Pattern.compile("\\bexports\\s+([\\w.]+)\\s*(to\\s+[\\w.,\\s]+)?;");
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.taskshared((?:\\.[a-z][a-z0-9_]*)*)\\.[A-Z]");

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> graph = packageGraph();
        assertThat(graph).as("the scan found the core's packages").containsKeys(ROOT, ROOT + ".sys", ROOT + ".region");
        List<List<String>> cycles = stronglyConnected(graph).stream().filter(c -> c.size() > 1).toList();
        List<String> described = new ArrayList<>();
        for (List<String> cycle : cycles) {
            StringBuilder b = new StringBuilder(String.join(", ", cycle)).append(":");
            for (String p : cycle) {
                for (String q : graph.get(p)) {
                    if (cycle.contains(q)) {
                        b.append(' ').append(p).append(" -> ").append(q).append(';');
                    }
                }
            }
            described.add(b.toString());
        }
        assertThat(described).as("package cycles").isEmpty();
    }

    @Test
    void theLowerLayersDoNotReachTheApi() throws IOException {
        // What the API is built from never names the API or what sits on it.
        Set<String> above = Set.of(ROOT, ROOT + ".export", ROOT + ".jfr", ROOT + ".monitor");
        Map<String, Set<String>> graph = packageGraph();
        Map<String, Set<String>> offending = new TreeMap<>();
        for (String lower : List.of("sys", "exit", "bpf", "bpf.asm", "bpf.btf", "region", "publisher", "host", "taskstats")) {
            String pkg = ROOT + "." + lower;
            assertThat(graph).as("package " + pkg + " exists").containsKey(pkg);
            Set<String> reached = new TreeSet<>(graph.get(pkg));
            reached.retainAll(above);
            if (!reached.isEmpty()) {
                offending.put(pkg, reached);
            }
        }
        assertThat(offending).isEmpty();
    }

    @Test
    void exportedSignaturesMentionOnlyExportedTypes() throws IOException, ClassNotFoundException {
        Set<String> exported = exportedPackages();
        assertThat(exported).as("module-info.java exports the API").contains(ROOT);
        Module module = TaskShared.class.getModule();
        if (module.isNamed()) { // the usual case (Surefire runs the tests in the module): the descriptor is what the source says
            assertThat(module.getName()).isEqualTo("dev.taskshared.core");
            for (String p : module.getPackages()) {
                assertThat(module.isExported(p)).as(p + " exported to everyone").isEqualTo(exported.contains(p));
            }
        }
        Map<String, Set<String>> violations = new TreeMap<>();
        for (String pkg : exported) {
            for (Class<?> c : publicTypes(pkg)) {
                for (String where : leaks(c, exported)) {
                    violations.computeIfAbsent(c.getName(), k -> new TreeSet<>()).add(where);
                }
            }
        }
        assertThat(violations).as("public signatures of exported packages naming non-exported types").isEmpty();
    }

    @Test
    void theCheckSeesAnInternalTypeInASignature() {
        // The check itself must be able to fail: a signature naming dev.taskshared.sys.Libc is a leak.
        abstract class Leaky {
            public abstract dev.taskshared.sys.Libc libc();
        }
        assertThat(leaks(Leaky.class, Set.of(ROOT))).anyMatch(s -> s.contains("dev.taskshared.sys.Libc"));
    }

    /** Packages exported to everyone by module-info.java. */
    static Set<String> exportedPackages() throws IOException {
        String info = stripComments(Files.readString(MAIN.resolve("module-info.java")));
        Set<String> exported = new TreeSet<>();
        Matcher m = EXPORTS.matcher(info);
        while (m.find()) {
            if (m.group(2) == null) {
                exported.add(m.group(1));
            }
        }
        return exported;
    }

    /** Package -> packages of the core its code names (imports, static imports, qualified names; comments and strings skipped). */
    static Map<String, Set<String>> packageGraph() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String name = f.getFileName().toString();
                if (name.equals("module-info.java") || name.equals("package-info.java")) {
                    continue;
                }
                String pkg = MAIN.relativize(f.getParent()).toString().replace('/', '.');
                Set<String> out = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(stripComments(Files.readString(f)));
                while (m.find()) {
                    String target = ROOT + m.group(1);
                    if (!target.equals(pkg)) {
                        out.add(target);
                    }
                }
            }
        }
        return graph;
    }

    static String stripComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\n]*", " ")
                .replaceAll("\"(?:\\\\.|[^\"\\\\\n])*\"", "\"\"");
    }

    /** Tarjan's strongly connected components. */
    static List<List<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<List<String>> components = new ArrayList<>();
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, onStack, components);
            }
        }
        return components;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, Set<String> onStack, List<List<String>> components) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, components);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            components.add(component);
        }
    }

    /** The public top-level types of {@code pkg} (from its source files) and their public nested types. */
    static List<Class<?>> publicTypes(String pkg) throws IOException, ClassNotFoundException {
        List<Class<?>> types = new ArrayList<>();
        Path dir = MAIN.resolve(pkg.replace('.', '/'));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String simple = f.getFileName().toString().replace(".java", "");
                if (simple.equals("package-info")) {
                    continue;
                }
                Deque<Class<?>> todo = new ArrayDeque<>(List.of(Class.forName(pkg + "." + simple, false,
                        ModuleBoundaryTest.class.getClassLoader())));
                while (!todo.isEmpty()) {
                    Class<?> c = todo.pop();
                    if (Modifier.isPublic(c.getModifiers())) {
                        types.add(c);
                        todo.addAll(List.of(c.getDeclaredClasses()));
                    }
                }
            }
        }
        return types;
    }

    /** Where {@code c}'s public or protected signatures name a type of the core outside {@code exported}. */
    static List<String> leaks(Class<?> c, Set<String> exported) {
        List<String> found = new ArrayList<>();
        check("extends", c.getGenericSuperclass(), exported, found);
        for (Type t : c.getGenericInterfaces()) {
            check("implements", t, exported, found);
        }
        for (TypeVariable<?> v : c.getTypeParameters()) {
            for (Type b : v.getBounds()) {
                check("type parameter " + v.getName(), b, exported, found);
            }
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                check("component " + rc.getName(), rc.getGenericType(), exported, found);
            }
        }
        for (Field f : c.getDeclaredFields()) {
            if (visible(f.getModifiers())) {
                check("field " + f.getName(), f.getGenericType(), exported, found);
            }
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (visible(k.getModifiers()) && !k.isSynthetic()) {
                for (Type p : k.getGenericParameterTypes()) {
                    check("constructor parameter", p, exported, found);
                }
                for (Type e : k.getGenericExceptionTypes()) {
                    check("constructor throws", e, exported, found);
                }
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                check(m.getName() + "() returns", m.getGenericReturnType(), exported, found);
                for (Type p : m.getGenericParameterTypes()) {
                    check(m.getName() + "() parameter", p, exported, found);
                }
                for (Type e : m.getGenericExceptionTypes()) {
                    check(m.getName() + "() throws", e, exported, found);
                }
            }
        }
        return found;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void check(String where, Type t, Set<String> exported, List<String> found) {
        if (t == null) {
            return;
        }
        switch (t) {
            case Class<?> k -> {
                while (k.isArray()) {
                    k = k.getComponentType();
                }
                String pkg = k.getPackageName();
                if ((pkg.equals(ROOT) || pkg.startsWith(ROOT + ".")) && !exported.contains(pkg)) {
                    found.add(where + " " + k.getName());
                }
            }
            case ParameterizedType p -> {
                check(where, p.getRawType(), exported, found);
                for (Type a : p.getActualTypeArguments()) {
                    check(where, a, exported, found);
                }
            }
            case WildcardType w -> {
                for (Type b : w.getUpperBounds()) {
                    check(where, b, exported, found);
                }
                for (Type b : w.getLowerBounds()) {
                    check(where, b, exported, found);
                }
            }
            case GenericArrayType a -> check(where, a.getGenericComponentType(), exported, found);
            case TypeVariable<?> v -> { } // its bounds are checked where it is declared
            default -> throw new AssertionError("unexpected type " + t);
        }
    }
}
