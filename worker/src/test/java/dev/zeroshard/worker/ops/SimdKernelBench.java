package dev.zeroshard.worker.ops;

import java.util.Locale;
import java.util.SplittableRandom;

/** Micro-benchmark of the SIMD kernels (not a test): GFLOP/s of the tile GEMMs, ns per GELU element. */
public final class SimdKernelBench {
    private SimdKernelBench() {
    }

    public static void main(final String[] args) {
        final SplittableRandom random = new SplittableRandom(1);
        final int m = 32;
        final int n = 256;
        final int k = 32;
        final float[] a = new float[m * k];
        final float[] b = new float[k * n];
        final float[] c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float)random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float)random.nextGaussian();
        }
        for (int rep = 0; rep < 5; rep++) {
            final long t0 = System.nanoTime();
            final int iters = 20000;
            for (int it = 0; it < iters; it++) {
                FlashAttentionSimd.multiply(c, 0, n, a, 0, k, b, 0, n, m, n, k, false);
            }
            final double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "multiply %dx%dx%d: %.1f GFLOP/s%n", m, n, k, 2.0 * m * n * k * iters / s / 1e9);
        }
        final float[] x = new float[1 << 20];
        final float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float)random.nextGaussian() * 3;
        }
        for (int rep = 0; rep < 5; rep++) {
            final long t0 = System.nanoTime();
            for (int it = 0; it < 20; it++) {
                GeluSimd.forward(y, 0, x, 0, 0, x.length);
            }
            System.out.printf(Locale.ROOT, "gelu fwd: %.2f ns/elem%n", (System.nanoTime() - t0) / 20.0 / x.length);
        }
    }
}
