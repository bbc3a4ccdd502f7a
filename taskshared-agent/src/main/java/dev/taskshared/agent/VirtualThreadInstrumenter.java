package dev.taskshared.agent;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.MethodModel;
import java.lang.classfile.MethodTransform;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.Optional;

/**
 * Rewrites {@code java.lang.VirtualThread} so that its {@code mount()} and {@code unmount()} call
 * the bridge ({@code dev.taskshared.agent.bridge.MountHooks}); method bodies only, as
 * retransformation requires (no member is added or changed):
 *
 * <pre>
 * private void mount() {                       private void unmount() {
 *     Object c = MountHooks.mountEntry(this);      MountHooks.unmountEntry();
 *     ...JDK code...                               ...JDK code...
 *     MountHooks.mountExit(c);   // before every return
 *     return;
 * }                                            }
 * </pre>
 *
 * What it relies on, checked before anything is changed (otherwise {@link InternalsMismatchException}
 * and the class is left as it is): the class is {@code java/lang/VirtualThread}; it has instance
 * methods {@code mount()V} and {@code unmount()V} with code; each calls
 * {@code Thread.setCurrentThread(Thread)} (the point where {@code Thread.currentThread()} switches:
 * from the carrier to the virtual thread in mount, back in unmount, so that mount's entry runs
 * with the carrier current and its exit and unmount's entry with the virtual thread current);
 * and neither calls the bridge already. This is JDK 21&ndash;25's shape. The hooks check the
 * current thread at run time too.
 */
public final class VirtualThreadInstrumenter {
    static final String CLASS = "java/lang/VirtualThread";
    static final ClassDesc BRIDGE = ClassDesc.of("dev.taskshared.agent.bridge.MountHooks");
    static final ClassDesc THREAD = ClassDesc.of("java.lang.Thread");
    static final String MOUNT_ENTRY = "mountEntry";
    static final MethodTypeDesc MOUNT_ENTRY_TYPE = MethodTypeDesc.of(ConstantDescs.CD_Object, THREAD);
    static final String MOUNT_EXIT = "mountExit";
    static final MethodTypeDesc MOUNT_EXIT_TYPE = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_Object);
    static final String UNMOUNT_ENTRY = "unmountEntry";
    static final MethodTypeDesc UNMOUNT_ENTRY_TYPE = MethodTypeDesc.of(ConstantDescs.CD_void);

    private VirtualThreadInstrumenter() {
    }

    /**
     * The instrumented class file, or an exception saying which expectation failed.
     *
     * @param classFile the class file of {@code java.lang.VirtualThread} as the JVM gives it to a transformer
     */
    public static byte[] instrument(byte[] classFile) throws InternalsMismatchException {
        ClassFile cf = ClassFile.of();
        ClassModel model;
        try {
            model = cf.parse(classFile);
        } catch (IllegalArgumentException e) {
            throw new InternalsMismatchException("cannot parse the class file: " + e.getMessage());
        }
        String name = model.thisClass().asInternalName();
        if (!CLASS.equals(name)) {
            throw new InternalsMismatchException("expected " + CLASS + ", got " + name);
        }
        check(model, "mount");
        check(model, "unmount");
        // One transform dispatching on the method: composing two transformingMethods with
        // andThen applied neither on JDK 25.0.3 (seen while writing this).
        ClassTransform transform = (builder, element) -> {
            if (element instanceof MethodModel m && isTarget(m, "mount")) {
                builder.transformMethod(m, MethodTransform.transformingCode(new MountTransform()));
            } else if (element instanceof MethodModel m && isTarget(m, "unmount")) {
                builder.transformMethod(m, MethodTransform.transformingCode(new UnmountTransform()));
            } else {
                builder.with(element);
            }
        };
        byte[] out;
        try {
            out = cf.transformClass(model, transform);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new InternalsMismatchException("could not rewrite " + CLASS + ": " + e);
        }
        // Postcondition: the calls are where they should be (a silently unchanged class would
        // leave the accounting "active" and every total at zero).
        ClassModel result = cf.parse(out);
        if (bridgeCalls(result, "mount", MOUNT_ENTRY) != 1 || bridgeCalls(result, "mount", MOUNT_EXIT) < 1
                || bridgeCalls(result, "unmount", UNMOUNT_ENTRY) != 1) {
            throw new InternalsMismatchException("the rewritten " + CLASS + " does not call the bridge as intended");
        }
        return out;
    }

    /** Calls to the bridge's {@code hook} in method {@code name}. */
    static int bridgeCalls(ClassModel model, String name, String hook) {
        int n = 0;
        for (MethodModel m : model.methods()) {
            if (isTarget(m, name) && m.code().isPresent()) {
                for (CodeElement e : m.code().get()) {
                    if (e instanceof InvokeInstruction i && i.owner().asSymbol().equals(BRIDGE) && i.name().equalsString(hook)) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    private static boolean isTarget(MethodModel m, String name) {
        return m.methodName().equalsString(name) && m.methodType().equalsString("()V") && !m.flags().has(AccessFlag.STATIC);
    }

    private static void check(ClassModel model, String name) throws InternalsMismatchException {
        Optional<MethodModel> method = model.methods().stream().filter(m -> isTarget(m, name)).findFirst();
        if (method.isEmpty()) {
            throw new InternalsMismatchException(CLASS + " has no instance method " + name + "()V (JDK "
                    + Runtime.version() + "); the agent knows JDK 21-25's mount/unmount");
        }
        Optional<CodeModel> code = method.get().code();
        if (code.isEmpty()) {
            throw new InternalsMismatchException(CLASS + "." + name + "() has no bytecode");
        }
        boolean switchesThread = false;
        for (CodeElement e : code.get()) {
            if (e instanceof InvokeInstruction i) {
                if (i.owner().asSymbol().equals(BRIDGE)) {
                    throw new InternalsMismatchException(CLASS + "." + name + "() is instrumented already");
                }
                if (i.name().equalsString("setCurrentThread") && i.owner().asInternalName().equals("java/lang/Thread")) {
                    switchesThread = true;
                }
            }
        }
        if (!switchesThread) {
            throw new InternalsMismatchException(CLASS + "." + name + "() does not call Thread.setCurrentThread: "
                    + "where the current thread switches between carrier and virtual thread is unknown");
        }
    }

    /** mount(): the carrier token in a new local from entry to every return. */
    private static final class MountTransform implements CodeTransform {
        private int token;

        @Override
        public void atStart(CodeBuilder b) {
            token = b.allocateLocal(TypeKind.REFERENCE);
            b.aload(0).invokestatic(BRIDGE, MOUNT_ENTRY, MOUNT_ENTRY_TYPE).astore(token);
        }

        @Override
        public void accept(CodeBuilder b, CodeElement e) {
            if (e instanceof ReturnInstruction) {
                b.aload(token).invokestatic(BRIDGE, MOUNT_EXIT, MOUNT_EXIT_TYPE);
            }
            b.with(e);
        }
    }

    private static final class UnmountTransform implements CodeTransform {
        @Override
        public void atStart(CodeBuilder b) {
            b.invokestatic(BRIDGE, UNMOUNT_ENTRY, UNMOUNT_ENTRY_TYPE);
        }

        @Override
        public void accept(CodeBuilder b, CodeElement e) {
            b.with(e);
        }
    }
}
