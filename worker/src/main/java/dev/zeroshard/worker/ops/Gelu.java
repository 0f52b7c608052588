package dev.zeroshard.worker.ops;

import dev.zeroshard.worker.backend.cpu.MatrixBuffer;

/**
 * GELU with GPT-2's tanh approximation: 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))), computed as
 * the identical x · σ(2u) (u the tanh argument, σ the logistic function: 0.5(1 + tanh u) = σ(2u)),
 * which needs one exponential and no tanh (HotSpot does not intrinsify {@code Math.tanh}). The
 * derivative follows from σ' = σ(1 − σ): gelu' = s + 2 x s (1 − s) u' with s = σ(2u). Vectorised
 * by {@link GeluSimd} where the Vector API is present, with the same values (see {@link Simd}).
 */
public final class Gelu {
    static final float SQRT_2_OVER_PI = (float)Math.sqrt(2.0 / Math.PI);
    static final float CUBE = 0.044715f;
    /** −2·sqrt(2/π): e^(−2u) = exp(MINUS_TWO_K · (1 + 0.044715 x²) · x). */
    static final float MINUS_TWO_K = -2f * SQRT_2_OVER_PI;
    static final float CUBE3 = 3f * CUBE;
    /** Elements per parallel chunk: enough to amortise the hand-off. */
    private static final int MIN_CHUNK = 8192;

    private Gelu() {
    }

    /** out (N) = gelu(inp (N)); out may be inp (in place). */
    public static void forward(final float[] out, final int outOff, final float[] inp, final int inpOff, final int N) {
        Parallel.shared().forRange(N, MIN_CHUNK, (from, to) -> forwardRange(out, outOff, inp, inpOff, from, to));
    }

    /** out[outOff + i] = gelu(inp[inpOff + i]) for i in [from, to), on the calling thread. */
    private static void forwardRange(final float[] out, final int outOff, final float[] inp, final int inpOff,
        final int from, final int to) {
        final int done = Simd.ENABLED ? GeluSimd.forward(out, outOff, inp, inpOff, from, to) : from;
        for (int i = done; i < to; i++) {
            final float x = inp[inpOff + i];
            final float e = Simd.exp(Math.fma(x * x, CUBE, 1f) * x * MINUS_TWO_K);
            out[outOff + i] = x / (e + 1f);
        }
    }

    /**
     * out[outIndex, +N) = gelu(inp (N)) written straight into a matrix buffer (rounded there in bf16
     * mode), chunk by chunk through a small array that stays in cache: no full-size fp32 copy.
     */
    public static void forward(final MatrixBuffer out, final long outIndex, final float[] inp, final int inpOff,
        final int N) {
        Parallel.shared().forRange(N, MIN_CHUNK, (from, to) -> {
            final float[] chunk = new float[Math.min(MIN_CHUNK, to - from)];
            for (int start = from; start < to; start += chunk.length) {
                final int n = Math.min(chunk.length, to - start);
                forwardRange(chunk, -start, inp, inpOff, start, start + n);
                out.writeOnThisThread(outIndex + start, chunk, 0, n);
            }
        });
    }

    /** Adds dinp (N) += gelu'(inp) * dout. */
    public static void backward(final float[] dinp, final int dinpOff, final float[] inp, final int inpOff,
        final float[] dout, final int doutOff, final int N) {
        backward(dinp, dinpOff, inp, inpOff, dout, doutOff, N, true);
    }

    /**
     * dinp (N) = gelu'(inp) · dout, added to dinp when {@code accumulate}, else written over it (dinp
     * may then be dout: in place).
     */
    public static void backward(final float[] dinp, final int dinpOff, final float[] inp, final int inpOff,
        final float[] dout, final int doutOff, final int N, final boolean accumulate) {
        Parallel.shared().forRange(N, MIN_CHUNK, (from, to) -> {
            final int done = Simd.ENABLED
                ? GeluSimd.backward(dinp, dinpOff, inp, inpOff, dout, doutOff, from, to, accumulate) : from;
            for (int i = done; i < to; i++) {
                final float x = inp[inpOff + i];
                final float x2 = x * x;
                final float s = 1f / (Simd.exp(Math.fma(x2, CUBE, 1f) * x * MINUS_TWO_K) + 1f);
                final float du = Math.fma(x2, CUBE3, 1f) * SQRT_2_OVER_PI;
                // ×2 is exact, so it needs no fused form to match the vector path
                final float grad = (1f - s) * s * x * du * 2f + s;
                final float prior = accumulate ? dinp[dinpOff + i] : 0f;
                dinp[dinpOff + i] = Math.fma(grad, dout[doutOff + i], prior);
            }
        });
    }
}
