package dev.zeroshard.worker.ops;

/** GELU with GPT-2's tanh approximation: 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))). */
public final class Gelu {
    private static final float SQRT_2_OVER_PI = (float)Math.sqrt(2.0 / Math.PI);
    private static final float CUBE = 0.044715f;

    private Gelu() {
    }

    /** out (N) = gelu(inp (N)). */
    public static void forward(final float[] out, final int outOff, final float[] inp, final int inpOff, final int N) {
        Parallel.shared().forRange(N, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                final float x = inp[inpOff + i];
                final float u = SQRT_2_OVER_PI * (x + CUBE * x * x * x);
                out[outOff + i] = 0.5f * x * (1f + (float)Math.tanh(u));
            }
        });
    }

    /** Adds dinp (N) += gelu'(inp) * dout. */
    public static void backward(final float[] dinp, final int dinpOff, final float[] inp, final int inpOff,
        final float[] dout, final int doutOff, final int N) {
        Parallel.shared().forRange(N, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                final float x = inp[inpOff + i];
                final float u = SQRT_2_OVER_PI * (x + CUBE * x * x * x);
                final float th = (float)Math.tanh(u);
                final float sech2 = 1f - th * th;
                final float grad = 0.5f * (1f + th) + 0.5f * x * sech2 * SQRT_2_OVER_PI * (1f + 3f * CUBE * x * x);
                dinp[dinpOff + i] += grad * dout[doutOff + i];
            }
        });
    }
}
