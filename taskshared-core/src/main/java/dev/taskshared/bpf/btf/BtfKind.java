package dev.taskshared.bpf.btf;

/** BTF type kinds ({@code BTF_KIND_*}, linux/btf.h) and the size of the data after each {@code struct btf_type}. */
public enum BtfKind {
    UNKNOWN(0), INT(1), PTR(2), ARRAY(3), STRUCT(4), UNION(5), ENUM(6), FWD(7), TYPEDEF(8), VOLATILE(9), CONST(10), RESTRICT(11),
    FUNC(12), FUNC_PROTO(13), VAR(14), DATASEC(15), FLOAT(16), DECL_TAG(17), TYPE_TAG(18), ENUM64(19);

    public final int value;

    BtfKind(int value) {
        this.value = value;
    }

    private static final BtfKind[] BY_VALUE = values();

    public static BtfKind of(int value) {
        if (value < 0 || value >= BY_VALUE.length) {
            throw new IllegalArgumentException("unknown BTF kind " + value);
        }
        return BY_VALUE[value];
    }

    /** Bytes following the 12-byte {@code struct btf_type} for a type of this kind with {@code vlen}. */
    int trailingBytes(int vlen) {
        return switch (this) {
            case INT, VAR, DECL_TAG -> 4;
            case ARRAY -> 12; // struct btf_array { type, index_type, nelems }
            case STRUCT, UNION -> 12 * vlen; // struct btf_member { name_off, type, offset }
            case ENUM -> 8 * vlen; // struct btf_enum { name_off, val }
            case FUNC_PROTO -> 8 * vlen; // struct btf_param { name_off, type }
            case DATASEC -> 12 * vlen; // struct btf_var_secinfo { type, offset, size }
            case ENUM64 -> 12 * vlen; // struct btf_enum64 { name_off, val_lo32, val_hi32 }
            default -> 0;
        };
    }

    /** Kinds whose third word is a size (the others refer to a type). */
    boolean hasSize() {
        return switch (this) {
            case INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT -> true;
            default -> false;
        };
    }
}
