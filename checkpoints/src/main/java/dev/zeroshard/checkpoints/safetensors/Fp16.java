package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.sharding.numeric.Bf16;

/**
 * IEEE 754 binary16 (half precision) ⇄ fp32, held in a {@code short}: sign, 5 exponent bits (bias 15), 10 mantissa
 * bits; largest finite 65504, smallest normal 2^-14, smallest subnormal 2^-24.
 *
 * <p>{@link #toFloat} is exact. {@link #fromFloat} rounds to nearest, ties to even: values from 65520 up become
 * ±Inf, values below 2^-14 become subnormals (rounded by the fp32 adder itself, see the code), values at or below
 * 2^-25 become ±0, a NaN stays a NaN with its sign and top 10 payload bits and the quiet bit set.
 *
 * <p>Speed: no loops, no tables; {@code fromFloat} has one branch per range class (overflow or NaN, subnormal,
 * normal) and none inside a class, so a loop over mostly normal values predicts perfectly.
 */
public final class Fp16 {
    /** +Inf in fp16. */
    public static final short POSITIVE_INFINITY = (short) 0x7c00;
    /** The canonical quiet NaN. */
    public static final short NaN = (short) 0x7e00;

    private static final int MAGNITUDE_MASK = 0x7fff_ffff;
    private static final int FP32_INFINITY_BITS = 0x7f80_0000;
    /** fp32 bits of 2^16: the first magnitude that is Inf in fp16 whatever the rounding (65520 already is, by carry). */
    private static final int FP32_BITS_OF_2_POW_16 = 0x4780_0000;
    /** fp32 bits of 2^-14, the smallest normal fp16. */
    private static final int FP32_BITS_OF_2_POW_MINUS_14 = 0x3880_0000;
    /** fp32 bits of 0.5f. */
    private static final int FP32_BITS_OF_HALF = 0x3f00_0000;
    /** (127 - 15) << 23: moves an fp32 exponent to the fp16 bias. */
    private static final int REBIAS = 0x3800_0000;

    private Fp16() {
    }

    /** fp32 → fp16 bits, round to nearest, ties to even. */
    public static short fromFloat(final float value) {
        final int bits = Float.floatToRawIntBits(value);
        final int sign = (bits >>> 16) & 0x8000;
        final int magnitude = bits & MAGNITUDE_MASK;
        if (magnitude >= FP32_BITS_OF_2_POW_16) {
            if (magnitude > FP32_INFINITY_BITS) {
                return (short) (sign | NaN | ((magnitude >>> 13) & 0x3ff));
            }
            return (short) (sign | POSITIVE_INFINITY);
        }
        if (magnitude < FP32_BITS_OF_2_POW_MINUS_14) {
            // In [0.5, 1) an fp32 ulp is 2^-24, the fp16 subnormal step, so 0.5f + |value| lets the adder round
            // |value| to a whole number k of 2^-24 steps (ties to even) and leaves k in the low mantissa bits.
            // k = 1024 is 2^-14, and its bits 0x400 are the smallest normal fp16: the carry is right too.
            final float shifted = Float.intBitsToFloat(magnitude) + 0.5f;
            return (short) (sign | (Float.floatToRawIntBits(shifted) - FP32_BITS_OF_HALF));
        }
        // Rebias the exponent, then round the 13 dropped mantissa bits to nearest even; a carry moves into the
        // exponent (up to 0x7c00, Inf, from 65520).
        final int rounded = magnitude - REBIAS + 0xfff + ((magnitude >>> 13) & 1);
        return (short) (sign | (rounded >>> 13));
    }

    /** fp16 bits → fp32, exact. */
    public static float toFloat(final short half) {
        final int h = half & 0xffff;
        final int sign = (h & 0x8000) << 16;
        final int exponent = h & 0x7c00;
        if (exponent == 0x7c00) {
            return Float.intBitsToFloat(sign | FP32_INFINITY_BITS | ((h & 0x3ff) << 13));
        }
        if (exponent == 0) {
            // subnormal or zero: mantissa × 2^-24, exact in fp32
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits((h & 0x3ff) * 0x1p-24f));
        }
        return Float.intBitsToFloat(sign | (((h & 0x7fff) << 13) + REBIAS));
    }

    /** {@code toFloat(fromFloat(value))}: the fp32 value rounded to fp16 precision and range. */
    public static float round(final float value) {
        return toFloat(fromFloat(value));
    }

    /** Converts {@code length} values {@code src[srcOffset..]} to fp16 bits in {@code dst[dstOffset..]}. */
    public static void fromFloat(final float[] src, final int srcOffset, final short[] dst, final int dstOffset,
                                 final int length) {
        Bf16.checkRange(src.length, srcOffset, dst.length, dstOffset, length);
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = fromFloat(src[srcOffset + i]);
        }
    }

    /** Converts {@code length} fp16 values {@code src[srcOffset..]} to fp32 in {@code dst[dstOffset..]}. */
    public static void toFloat(final short[] src, final int srcOffset, final float[] dst, final int dstOffset,
                               final int length) {
        Bf16.checkRange(src.length, srcOffset, dst.length, dstOffset, length);
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = toFloat(src[srcOffset + i]);
        }
    }
}
