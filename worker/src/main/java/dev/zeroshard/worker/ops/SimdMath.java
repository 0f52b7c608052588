package dev.zeroshard.worker.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.zeroshard.worker.ops.Simd.EXP2_LIMIT;
import static dev.zeroshard.worker.ops.Simd.LOG2_E;
import static dev.zeroshard.worker.ops.Simd.ROUND_MAGIC;

/**
 * The vector forms of {@link Simd}'s math, bit for bit the same values. Load only if
 * {@link Simd#ENABLED}.
 *
 * <p>A rule for all SIMD code here: never keep vectors in static final fields. C2 (JDK 17) cannot
 * unbox a constant vector object where it meets a computed one (a loop accumulator starting at a
 * static ZERO is boxed on every iteration, ~20× slower); {@code FloatVector.broadcast} and
 * {@code zero} inside the method are hoisted out of the loops instead.
 */
final class SimdMath {
    /** The widest vectors this CPU has (16 floats with AVX-512). */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();


    /** The bits of {@link Simd#ROUND_MAGIC}, 1.5·2^23. */
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

    private SimdMath() {
    }

    /** {@link Simd#exp2(float)} lane by lane. */
    static FloatVector exp2(final FloatVector t) {
        final FloatVector c = t.max(-EXP2_LIMIT).min(EXP2_LIMIT);
        final FloatVector shifted = c.add(ROUND_MAGIC);
        final FloatVector n = shifted.sub(ROUND_MAGIC);
        final FloatVector r = c.sub(n);
        final FloatVector p = r.fma(Simd.P6, Simd.P5).fma(r, FloatVector.broadcast(F, Simd.P4))
            .fma(r, FloatVector.broadcast(F, Simd.P3)).fma(r, FloatVector.broadcast(F, Simd.P2))
            .fma(r, FloatVector.broadcast(F, Simd.P1)).fma(r, FloatVector.broadcast(F, 1f));
        // the integer n sits in the low mantissa bits of n + 1.5·2^23 (bits 0x4B400000 + n): read
        // there, as C2 (JDK 17) does not intrinsify the float-to-int conversion
        final IntVector bits = shifted.reinterpretAsInts().add(127 - ROUND_MAGIC_BITS)
            .lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** {@link Simd#exp(float)} lane by lane. */
    static FloatVector exp(final FloatVector x) {
        return exp2(x.mul(LOG2_E));
    }

    /** The lanes of {@code v} added in lane order (reproducible, unlike {@code reduceLanes(ADD)}). */
    static float sumLanes(final FloatVector v, final float[] lanes) {
        v.intoArray(lanes, 0);
        float sum = 0f;
        for (int i = 0; i < LANES; i++) {
            sum += lanes[i];
        }
        return sum;
    }
}
