package dev.zeroshard.worker.backend.cpu;

/**
 * bfloat16 as bit patterns in {@code short}: the upper half of an IEEE fp32 value, so widening is a
 * shift and narrowing rounds the dropped 16 bits to nearest, ties to even (what PyTorch and the
 * hardware conversion instructions do).
 */
final class Bf16 {
    private Bf16() {
    }

    /** The bf16 nearest to {@code value} (ties to even); NaN stays a quiet NaN. */
    static short fromFloat(final float value) {
        final int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short)((bits >>> 16) | 0x0040);
        }
        final int lsb = (bits >>> 16) & 1;
        return (short)((bits + 0x7fff + lsb) >>> 16);
    }

    /** The fp32 value of the bf16 bits {@code bits} (exact). */
    static float toFloat(final short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** {@code value} rounded to the nearest bf16 (ties to even), as fp32. */
    static float round(final float value) {
        return toFloat(fromFloat(value));
    }

    /** dst[dstOff + i] = bf16(src[srcOff + i]) for i in [0, n). */
    static void fromFloat(final float[] src, final int srcOff, final short[] dst, final int dstOff, final int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = fromFloat(src[srcOff + i]);
        }
    }

    /** dst[dstOff + i] = float(src[srcOff + i]) for i in [0, n). */
    static void toFloat(final short[] src, final int srcOff, final float[] dst, final int dstOff, final int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = toFloat(src[srcOff + i]);
        }
    }
}
