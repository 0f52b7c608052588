package dev.zeroshard.worker.ops;

import dev.zeroshard.sharding.numeric.Bf16;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector body of fp32 → bf16 rounding, bit for bit {@code Bf16.fromFloat}: nearest, ties to
 * even, NaN kept as a quiet NaN with its sign and top payload bits. JDK 17 does not vectorise the
 * scalar loop (it does not vectorise {@code floatToRawIntBits}), which made rounding the model's
 * matrix inputs cost as much as a tenth of a bf16 step. Load only if {@link Simd#ENABLED}.
 */
final class Bf16Simd {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** As many shorts as F has floats: the narrowing cast keeps the lane count. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
        VectorShape.forBitSize(F.vectorBitSize() / 2));

    private Bf16Simd() {
    }

    /** dst[dstOff, +length) = bf16 bits of src[srcOff, +length). */
    static void toBits(final float[] src, final int srcOff, final short[] dst, final int dstOff, final int length) {
        convert(src, srcOff, dst, dstOff, length, false);
    }

    /** As {@link #toBits}, and src rounded in place to the same bf16 values. */
    static void toBitsRoundingSource(final float[] src, final int srcOff, final short[] dst, final int dstOff,
        final int length) {
        convert(src, srcOff, dst, dstOff, length, true);
    }

    private static void convert(final float[] src, final int srcOff, final short[] dst, final int dstOff,
        final int length, final boolean roundSource) {
        final int lanes = F.length();
        int i = 0;
        for (; i + lanes <= length; i += lanes) {
            final IntVector x = FloatVector.fromArray(F, src, srcOff + i).reinterpretAsInts();
            final IntVector high = x.lanewise(VectorOperators.LSHR, 16);
            final IntVector rounded = x.add(0x7fff).add(high.and(1)).lanewise(VectorOperators.LSHR, 16);
            final VectorMask<Integer> nan = x.and(0x7fff_ffff).compare(VectorOperators.GT, 0x7f80_0000);
            final IntVector bits = rounded.blend(high.or(0x40), nan);
            ((ShortVector)bits.castShape(S, 0)).intoArray(dst, dstOff + i);
            if (roundSource) {
                bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(src, srcOff + i);
            }
        }
        for (; i < length; i++) {
            final short bits = Bf16.fromFloat(src[srcOff + i]);
            dst[dstOff + i] = bits;
            if (roundSource) {
                src[srcOff + i] = Bf16.toFloat(bits);
            }
        }
    }
}
