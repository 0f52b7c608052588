package dev.zeroshard.checkpoints.safetensors;

import java.util.HashMap;
import java.util.Map;

/**
 * The element types a safetensors header may name, with their size in bytes. Only {@link #F32}, {@link #F16} and
 * {@link #BF16} convert to and from fp32 here; the others are known so that a file holding them can still be listed.
 */
public enum Dtype {
    BOOL(1),
    U8(1),
    I8(1),
    F8_E5M2(1),
    F8_E4M3(1),
    I16(2),
    U16(2),
    F16(2),
    BF16(2),
    I32(4),
    U32(4),
    F32(4),
    F64(8),
    I64(8),
    U64(8);

    private static final Map<String, Dtype> BY_NAME = new HashMap<>();

    static {
        for (final Dtype dtype : values()) {
            BY_NAME.put(dtype.name(), dtype);
        }
    }

    private final int sizeBytes;

    Dtype(final int sizeBytes) {
        this.sizeBytes = sizeBytes;
    }

    /** Bytes per element. */
    public int sizeBytes() {
        return sizeBytes;
    }

    /** Whether elements of this type convert to and from fp32 (F32, F16, BF16). */
    public boolean isFloatConvertible() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The dtype spelled exactly as in a header ({@code "BF16"}), or null when there is none. */
    static Dtype fromHeaderName(final String name) {
        return BY_NAME.get(name);
    }
}
