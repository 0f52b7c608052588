package dev.zeroshard.worker.ops;

import dev.zeroshard.sharding.numeric.Bf16;

/** Token plus position embedding: the first op of GPT-2. */
public final class Encoder {
    private Encoder() {
    }

    /**
     * out (B,T,C) = wte[tokens[b,t]] + wpe[t].
     *
     * @param tokens (B,T) token ids, each already checked to be in [0, V).
     * @param wte    (V,C) at {@code wteOff}; wpe (maxT,C) at {@code wpeOff}, both in {@code params}.
     */
    public static void forward(final float[] out, final int outOff, final int[] tokens, final int tokensOff,
        final float[] params, final int wteOff, final int wpeOff, final int B, final int T, final int C) {
        Parallel.shared().forRange(B * T, 16, (from, to) -> {
            for (int bt = from; bt < to; bt++) {
                final int t = bt % T;
                final int o = outOff + bt * C;
                final int e = wteOff + tokens[tokensOff + bt] * C;
                final int p = wpeOff + t * C;
                for (int c = 0; c < C; c++) {
                    out[o + c] = params[e + c] + params[p + c];
                }
            }
        });
    }

    /** As {@link #forward}, reading bf16 embeddings (bit patterns, widened exactly to fp32). */
    public static void forwardBf16(final float[] out, final int outOff, final int[] tokens, final int tokensOff,
        final short[] bits, final int wteOff, final int wpeOff, final int B, final int T, final int C) {
        Parallel.shared().forRange(B * T, 16, (from, to) -> {
            for (int bt = from; bt < to; bt++) {
                final int t = bt % T;
                final int o = outOff + bt * C;
                final int e = wteOff + tokens[tokensOff + bt] * C;
                final int p = wpeOff + t * C;
                for (int c = 0; c < C; c++) {
                    out[o + c] = Bf16.toFloat(bits[e + c]) + Bf16.toFloat(bits[p + c]);
                }
            }
        });
    }

    /**
     * Adds dwte[tokens[b,t]] += dout[b,t] and dwpe[t] += dout[b,t]. Threads split the channels, so
     * every element is summed by one thread in (b,t) order: the result does not depend on the
     * thread count.
     */
    public static void backward(final float[] grads, final int dwteOff, final int dwpeOff, final float[] dout,
        final int doutOff, final int[] tokens, final int tokensOff, final int B, final int T, final int C) {
        Parallel.shared().forRange(C, 16, (c0, c1) -> {
            for (int bt = 0; bt < B * T; bt++) {
                final int t = bt % T;
                final int d = doutOff + bt * C;
                final int e = dwteOff + tokens[tokensOff + bt] * C;
                final int p = dwpeOff + t * C;
                for (int c = c0; c < c1; c++) {
                    grads[e + c] += dout[d + c];
                    grads[p + c] += dout[d + c];
                }
            }
        });
    }
}
