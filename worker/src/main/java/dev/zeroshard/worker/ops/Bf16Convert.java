package dev.zeroshard.worker.ops;

import dev.zeroshard.sharding.numeric.Bf16;

/**
 * fp32 ↔ bf16 bit patterns over flat buffers, multi-threaded: how bf16 mode keeps the bf16 copies of
 * its parameters that the products read without re-rounding them on every call.
 */
public final class Bf16Convert {
    /** Elements per parallel chunk: big enough that the fork costs less than the pass. */
    private static final int CHUNK = 16384;

    private Bf16Convert() {
    }

    /** dst[dstOff..] = bf16 bits of src[srcOff..], {@code length} values, round to nearest even. */
    public static void toBits(final float[] src, final int srcOff, final short[] dst, final int dstOff,
        final int length) {
        Bf16.checkRange(src.length, srcOff, dst.length, dstOff, length);
        Parallel.shared().forRange(length, CHUNK, (from, to) -> toBitsOnThisThread(src, srcOff + from, dst,
            dstOff + from, to - from));
    }

    /** {@link #toBits} on the calling thread alone: for callers that already split the work. */
    public static void toBitsOnThisThread(final float[] src, final int srcOff, final short[] dst, final int dstOff,
        final int length) {
        Bf16.checkRange(src.length, srcOff, dst.length, dstOff, length);
        if (Simd.ENABLED) {
            Bf16Simd.toBits(src, srcOff, dst, dstOff, length);
        } else {
            Bf16.fromFloat(src, srcOff, dst, dstOff, length);
        }
    }

    /** dst[dstOff..] = the fp32 values of the bf16 bits src[srcOff..] (exact), {@code length} values. */
    public static void toFloats(final short[] src, final int srcOff, final float[] dst, final int dstOff,
        final int length) {
        Bf16.checkRange(dst.length, dstOff, src.length, srcOff, length);
        Parallel.shared().forRange(length, CHUNK, (from, to) -> {
            for (int i = from; i < to; i++) {
                dst[dstOff + i] = Bf16.toFloat(src[srcOff + i]);
            }
        });
    }

    /**
     * As {@link #toBits}, and also rounds src in place to the same bf16 values (one pass): for fp32
     * compute weights that must hold exactly what their bf16 copy holds.
     */
    public static void toBitsRoundingSource(final float[] src, final int srcOff, final short[] dst, final int dstOff,
        final int length) {
        Bf16.checkRange(src.length, srcOff, dst.length, dstOff, length);
        Parallel.shared().forRange(length, CHUNK, (from, to) -> {
            if (Simd.ENABLED) {
                Bf16Simd.toBitsRoundingSource(src, srcOff + from, dst, dstOff + from, to - from);
            } else {
                for (int i = from; i < to; i++) {
                    final short bits = Bf16.fromFloat(src[srcOff + i]);
                    dst[dstOff + i] = bits;
                    src[srcOff + i] = Bf16.toFloat(bits);
                }
            }
        });
    }
}
