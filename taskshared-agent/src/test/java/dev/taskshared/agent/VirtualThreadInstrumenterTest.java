package dev.taskshared.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rewrite of java.lang.VirtualThread, and its refusal of a class shaped otherwise. */
class VirtualThreadInstrumenterTest {
    private static final ClassDesc VT = ClassDesc.of("java.lang.VirtualThread");
    private static final ClassDesc THREAD = ClassDesc.of("java.lang.Thread");

    static byte[] jdkVirtualThread() throws Exception {
        try (InputStream in = ClassLoader.getSystemResourceAsStream("java/lang/VirtualThread.class")) {
            return in.readAllBytes();
        }
    }

    private static List<Instruction> code(ClassModel model, String name) {
        MethodModel m = model.methods().stream().filter(x -> x.methodName().equalsString(name) && x.methodType().equalsString("()V"))
                .findFirst().orElseThrow();
        List<Instruction> out = new ArrayList<>();
        for (CodeElement e : m.code().orElseThrow()) {
            if (e instanceof Instruction i) {
                out.add(i);
            }
        }
        return out;
    }

    private static boolean callsBridge(Instruction i, String hook) {
        return i instanceof InvokeInstruction inv && inv.owner().asSymbol().equals(VirtualThreadInstrumenter.BRIDGE)
                && inv.name().equalsString(hook);
    }

    @Test
    void mountCallsTheBridgeFirstAndBeforeEveryReturnAndUnmountFirst() throws Exception {
        byte[] original = jdkVirtualThread();
        ClassModel before = ClassFile.of().parse(original);
        ClassModel after = ClassFile.of().parse(VirtualThreadInstrumenter.instrument(original));

        List<Instruction> mount = code(after, "mount");
        assertThat(mount.get(0).opcode().name()).isEqualTo("ALOAD_0");
        assertThat(callsBridge(mount.get(1), "mountEntry")).isTrue();
        long returns = code(before, "mount").stream().filter(i -> i instanceof ReturnInstruction).count();
        assertThat(returns).isPositive();
        for (int i = 0; i < mount.size(); i++) {
            if (mount.get(i) instanceof ReturnInstruction) {
                assertThat(callsBridge(mount.get(i - 1), "mountExit")).as("call before the return at %d", i).isTrue();
            }
        }
        assertThat(mount.stream().filter(i -> callsBridge(i, "mountExit")).count()).isEqualTo(returns);
        assertThat(callsBridge(code(after, "unmount").get(0), "unmountEntry")).isTrue();

        // Every other method is unchanged, instruction for instruction; no member added.
        assertThat(after.methods()).hasSameSizeAs(before.methods());
        assertThat(after.fields()).hasSameSizeAs(before.fields());
        for (MethodModel m : before.methods()) {
            String name = m.methodName().stringValue();
            if (name.equals("mount") || name.equals("unmount") || m.code().isEmpty()) {
                continue;
            }
            assertThat(code(after, name, m.methodType().stringValue()).toString())
                    .as(name).isEqualTo(code(before, name, m.methodType().stringValue()).toString());
        }
        // And the result passes the JDK's own class file verifier.
        assertThat(ClassFile.of().verify(after)).isEmpty();
    }

    private static List<String> code(ClassModel model, String name, String type) {
        MethodModel m = model.methods().stream().filter(x -> x.methodName().equalsString(name) && x.methodType().equalsString(type))
                .findFirst().orElseThrow();
        List<String> out = new ArrayList<>();
        for (CodeElement e : m.code().orElseThrow()) {
            if (e instanceof Instruction i) {
                out.add(i.opcode() + (i instanceof InvokeInstruction inv ? " " + inv.owner().asInternalName() + "." + inv.name() : ""));
            }
        }
        return out;
    }

    /** A stand-in for VirtualThread on a JDK whose internals differ: only the methods given. */
    private static byte[] fakeVirtualThread(String... voidMethods) {
        return ClassFile.of().build(VT, cb -> {
            cb.withSuperclass(THREAD);
            for (String name : voidMethods) {
                cb.withMethodBody(name, MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_PRIVATE, code -> code
                        .aload(0).aload(0)
                        .invokevirtual(THREAD, "setCurrentThread", MethodTypeDesc.of(ConstantDescs.CD_void, THREAD))
                        .return_());
            }
        });
    }

    @Test
    void refusesAJdkWithoutMount() {
        assertThatThrownBy(() -> VirtualThreadInstrumenter.instrument(fakeVirtualThread("unmount")))
                .isInstanceOf(InternalsMismatchException.class)
                .hasMessageContaining("has no instance method mount()V");
    }

    @Test
    void refusesAJdkWhoseUnmountIsRenamed() {
        assertThatThrownBy(() -> VirtualThreadInstrumenter.instrument(fakeVirtualThread("mount", "unmountFromCarrier")))
                .isInstanceOf(InternalsMismatchException.class)
                .hasMessageContaining("has no instance method unmount()V");
    }

    @Test
    void refusesAMountThatDoesNotSwitchTheCurrentThread() {
        byte[] noSwitch = ClassFile.of().build(VT, cb -> {
            cb.withSuperclass(THREAD);
            for (String name : new String[] {"mount", "unmount"}) {
                cb.withMethodBody(name, MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_PRIVATE, code -> code.return_());
            }
        });
        assertThatThrownBy(() -> VirtualThreadInstrumenter.instrument(noSwitch))
                .isInstanceOf(InternalsMismatchException.class)
                .hasMessageContaining("does not call Thread.setCurrentThread");
    }

    @Test
    void refusesToInstrumentTwiceAndAnotherClass() throws Exception {
        byte[] once = VirtualThreadInstrumenter.instrument(jdkVirtualThread());
        assertThatThrownBy(() -> VirtualThreadInstrumenter.instrument(once))
                .isInstanceOf(InternalsMismatchException.class).hasMessageContaining("instrumented already");
        byte[] other = ClassFile.of().build(ClassDesc.of("java.lang.Thread"), cb -> { });
        assertThatThrownBy(() -> VirtualThreadInstrumenter.instrument(other))
                .isInstanceOf(InternalsMismatchException.class).hasMessageContaining("expected java/lang/VirtualThread");
        assertThatThrownBy(() -> VirtualThreadInstrumenter.instrument(new byte[] {1, 2, 3}))
                .isInstanceOf(InternalsMismatchException.class).hasMessageContaining("cannot parse");
    }

    @Test
    void theTransformerLeavesAMismatchedClassUnchangedAndSaysWhy() throws Exception {
        VirtualThreadTransformer t = new VirtualThreadTransformer();
        byte[] fake = fakeVirtualThread("unmount");
        assertThat(t.transform(null, null, "java/lang/VirtualThread", null, null, fake)).isNull();
        assertThat(t.applied()).isFalse();
        assertThat(t.refusal()).contains("has no instance method mount()V");
        // other classes, or a VirtualThread of another loader, are not touched
        assertThat(new VirtualThreadTransformer().transform(null, ClassLoader.getSystemClassLoader(), "java/lang/VirtualThread",
                null, null, jdkVirtualThread())).isNull();
        VirtualThreadTransformer ok = new VirtualThreadTransformer();
        assertThat(ok.transform(null, null, "java/lang/VirtualThread", null, null, jdkVirtualThread())).isNotNull();
        assertThat(ok.applied()).isTrue();
        assertThat(ok.refusal()).isNull();
    }
}
