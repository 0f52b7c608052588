package dev.zeroshard.worker.ops;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a scalar function of a float buffer, for gradient checks: the
 * buffer element is nudged by ±h in place and the function re-evaluated.
 */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** d f / d x[i] ≈ (f(x + h e_i) - f(x - h e_i)) / 2h. */
    public static double derivative(final float[] x, final int i, final float h, final DoubleSupplier f) {
        final float saved = x[i];
        x[i] = saved + h;
        final double plus = f.getAsDouble();
        x[i] = saved - h;
        final double minus = f.getAsDouble();
        x[i] = saved;
        return (plus - minus) / ((double)(saved + h) - (double)(saved - h));
    }

    /**
     * Largest relative error max |g - fd| / max(|fd|, floor) over {@code samples} random indices of
     * [off, off + length).
     */
    public static double maxRelativeError(final float[] x, final int off, final int length, final float[] analytic,
        final int analyticOff, final int samples, final long seed, final float h, final double floor,
        final DoubleSupplier f) {
        final SplittableRandom random = new SplittableRandom(seed);
        double worst = 0;
        for (int s = 0; s < Math.min(samples, length); s++) {
            final int i = samples >= length ? s : random.nextInt(length);
            final double numeric = derivative(x, off + i, h, f);
            final double error = Math.abs(analytic[analyticOff + i] - numeric) / Math.max(Math.abs(numeric), floor);
            worst = Math.max(worst, error);
        }
        return worst;
    }

    /** Uniform values in [-scale, scale). */
    public static float[] random(final int length, final long seed, final float scale) {
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float)((random.nextDouble() * 2 - 1) * scale);
        }
        return values;
    }
}
