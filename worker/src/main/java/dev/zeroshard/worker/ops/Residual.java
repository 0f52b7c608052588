package dev.zeroshard.worker.ops;

/** The residual connection out = a + b, and elementwise helpers over flat ranges. */
public final class Residual {
    private Residual() {
    }

    /** out (N) = a (N) + b (N). */
    public static void forward(final float[] out, final int outOff, final float[] a, final int aOff, final float[] b,
        final int bOff, final int N) {
        Parallel.shared().forRange(N, 8192, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[outOff + i] = a[aOff + i] + b[bOff + i];
            }
        });
    }

    /** Adds dout into both inputs' gradients: da += dout, db += dout. */
    public static void backward(final float[] da, final int daOff, final float[] db, final int dbOff,
        final float[] dout, final int doutOff, final int N) {
        Parallel.shared().forRange(N, 8192, (from, to) -> {
            for (int i = from; i < to; i++) {
                da[daOff + i] += dout[doutOff + i];
                db[dbOff + i] += dout[doutOff + i];
            }
        });
    }
}
