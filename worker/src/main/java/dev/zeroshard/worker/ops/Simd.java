package dev.zeroshard.worker.ops;

/**
 * Whether this JVM runs the kernels' Vector API paths, and the scalar twins of their math.
 *
 * <p>The Vector API is the incubator module {@code jdk.incubator.vector} in JDK 17, present only
 * where the JVM was started with {@code --add-modules jdk.incubator.vector} (etc/jvm.properties).
 * Without it every kernel runs its scalar path: slower, and for the element-wise kernels bit for bit
 * the same, since the SIMD code ({@link SimdMath} and the {@code *Simd} classes, loaded only when
 * {@link #ENABLED}) performs the same IEEE operations and fused multiply-adds in the same order.
 * The same twinning makes a value independent of whether it fell in a vector body or a loop tail,
 * hence of the thread split.
 */
public final class Simd {
    /** True where {@code jdk.incubator.vector} is in the boot layer (and so readable by our code). */
    public static final boolean ENABLED = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
        && !Boolean.getBoolean("zeroshard.simd.disabled");

    static final float LOG2_E = 1.44269504f;
    /** 1.5·2^23: for |x| < 2^22, (x + M) − M is x rounded to the nearest integer. */
    static final float ROUND_MAGIC = 12582912f;
    /** 2^±126 are normal floats: beyond, 2^t is 0 or ∞ for all our callers' purposes. */
    static final float EXP2_LIMIT = 126f;
    static final float P6 = 1.5353362e-4f;
    static final float P5 = 1.3398874e-3f;
    static final float P4 = 9.6181291e-3f;
    static final float P3 = 5.5504109e-2f;
    static final float P2 = 2.4022651e-1f;
    static final float P1 = 6.9314718e-1f;

    private Simd() {
    }

    /**
     * 2^t for t clamped to [−126, 126], within 2e-7 relative (HotSpot neither vectorises
     * {@code Math.exp} nor intrinsifies {@code Math.tanh}): 2^t = 2^n·2^r with n = round(t) and
     * r in [−½, ½]; 2^r a degree-6 polynomial, 2^n built from its exponent bits.
     */
    static float exp2(final float t) {
        final float c = Math.min(Math.max(t, -EXP2_LIMIT), EXP2_LIMIT);
        final float n = (c + ROUND_MAGIC) - ROUND_MAGIC;
        final float r = c - n;
        final float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P6, P5), r, P4), r, P3), r, P2), r,
            P1), r, 1f);
        return p * Float.intBitsToFloat(((int)n + 127) << 23);
    }

    /** e^x as {@link #exp2}(x·log2 e). */
    static float exp(final float x) {
        return exp2(x * LOG2_E);
    }
}
