package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Gemm} must do, checked against a double-precision triple loop: odd sizes, all
 * four transpose combinations, offsets and leading dimensions wider than the matrices, alpha and beta
 * other than 1 and 0, and C outside its window left alone. Subclasses supply the implementation.
 */
abstract class GemmContract {
    /** Sizes (M, N, K) that hit every remainder; the last crosses the Java GEMM's panel edges. */
    private static final int[][] SIZES = {{1, 1, 1}, {7, 13, 5}, {65, 33, 129}, {37, 530, 300}};
    /** Marks C's padding; it must survive every call. */
    private static final float SENTINEL = -12345f;

    /** The implementation under test; may skip the test (an assumption) where it cannot load. */
    protected abstract Gemm gemm();

    /** The product of the fp32 entry point with inputs rounded to bf16 first (for bf16-compute modes). */
    protected boolean roundsFp32InputsToBf16() {
        return false;
    }

    /** A, B and C with offsets and padded leading dimensions, plus the expected C in double. */
    private static final class Case {
        final boolean transA;
        final boolean transB;
        final int m;
        final int n;
        final int k;
        final float alpha;
        final float beta;
        final int aOff = 3;
        final int bOff = 5;
        final int cOff = 7;
        final int lda;
        final int ldb;
        final int ldc;
        final float[] a;
        final float[] b;
        final float[] c;

        Case(final SplittableRandom random, final boolean transA, final boolean transB, final int m, final int n,
            final int k, final float alpha, final float beta) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.lda = (transA ? m : k) + 2;
            this.ldb = (transB ? k : n) + 3;
            this.ldc = n + 4;
            this.a = random(random, aOff + (transA ? k : m) * lda + 1);
            this.b = random(random, bOff + (transB ? n : k) * ldb + 1);
            this.c = random(random, cOff + m * ldc + 1);
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc + n, cOff + (i + 1) * ldc, SENTINEL);
            }
        }

        float opA(final float[] x, final int i, final int p) {
            return transA ? x[aOff + p * lda + i] : x[aOff + i * lda + p];
        }

        float opB(final float[] x, final int p, final int j) {
            return transB ? x[bOff + j * ldb + p] : x[bOff + p * ldb + j];
        }

        /** The expected C (as doubles, full array) and, per element, a bound on the rounding error. */
        double[][] expected(final float[] aValues, final float[] bValues) {
            return expected(aValues, bValues, null, 0);
        }

        /** As above, plus {@code bias[biasOff + j]} in column j when the bias is not null. */
        double[][] expected(final float[] aValues, final float[] bValues, final float[] bias, final int biasOff) {
            final double[] value = new double[c.length];
            final double[] magnitude = new double[c.length];
            for (int idx = 0; idx < c.length; idx++) {
                value[idx] = c[idx];
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        final double prod = (double)opA(aValues, i, p) * opB(bValues, p, j);
                        sum += prod;
                        abs += Math.abs(prod);
                    }
                    final int idx = cOff + i * ldc + j;
                    final double old = (beta == 0f ? 0 : (double)beta * c[idx])
                        + (bias == null ? 0 : bias[biasOff + j]);
                    value[idx] = alpha * sum + old;
                    magnitude[idx] = Math.abs(alpha) * abs + Math.abs(old);
                }
            }
            return new double[][] {value, magnitude};
        }
    }

    private static float[] random(final SplittableRandom random, final int n) {
        final float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float)(random.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static float[] roundedToBf16(final float[] x) {
        final float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Bf16.toFloat(Bf16.fromFloat(x[i]));
        }
        return y;
    }

    private static short[] bits(final float[] x) {
        final short[] y = new short[x.length];
        Bf16.fromFloat(x, 0, y, 0, x.length);
        return y;
    }

    /** |got - expected| <= tolerance · magnitude + 1e-30 everywhere; C outside the window unchanged. */
    private static void assertClose(final Case t, final float[] got, final double[][] expected,
        final double tolerance) {
        for (int idx = 0; idx < got.length; idx++) {
            final double bound = tolerance * expected[1][idx] + 1e-30;
            final double error = Math.abs(got[idx] - expected[0][idx]);
            if (!(error <= bound)) {
                throw new AssertionError(String.format("C[%d] = %s, expected %s (error %.3g > %.3g); transA=%s transB=%s"
                    + " m=%d n=%d k=%d alpha=%s beta=%s", idx, got[idx], expected[0][idx], error, bound, t.transA,
                    t.transB, t.m, t.n, t.k, t.alpha, t.beta));
            }
        }
    }

    private void checkFp32(final boolean transA, final boolean transB, final float alpha, final float beta) {
        final SplittableRandom random = new SplittableRandom(7);
        for (final int[] size : SIZES) {
            final Case t = new Case(random, transA, transB, size[0], size[1], size[2], alpha, beta);
            final double[][] expected = roundsFp32InputsToBf16()
                ? t.expected(roundedToBf16(t.a), roundedToBf16(t.b)) : t.expected(t.a, t.b);
            final float[] c = t.c.clone();
            gemm().sgemm(transA, transB, t.m, t.n, t.k, alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, beta, c,
                t.cOff, t.ldc);
            assertClose(t, c, expected, 1e-5);
        }
    }

    private void checkBf16(final boolean transA, final boolean transB, final float alpha, final float beta) {
        final SplittableRandom random = new SplittableRandom(11);
        for (final int[] size : SIZES) {
            final Case t = new Case(random, transA, transB, size[0], size[1], size[2], alpha, beta);
            final float[] c = t.c.clone();
            gemm().bf16gemm(transA, transB, t.m, t.n, t.k, alpha, bits(t.a), t.aOff, t.lda, bits(t.b), t.bOff, t.ldb,
                beta, c, t.cOff, t.ldc);
            // the bf16 inputs are exact; what is left is fp32 accumulation
            assertClose(t, c, t.expected(roundedToBf16(t.a), roundedToBf16(t.b)), 1e-5);
            // and against the fp32 product: bf16's 8-bit mantissa, relative error < 1e-2 in norm
            final double[][] fp32 = t.expected(t.a, t.b);
            double errorSquares = 0;
            double normSquares = 0;
            for (int i = 0; i < t.m; i++) {
                for (int j = 0; j < t.n; j++) {
                    final int idx = t.cOff + i * t.ldc + j;
                    errorSquares += Math.pow(c[idx] - fp32[0][idx], 2);
                    normSquares += Math.pow(fp32[0][idx], 2);
                }
            }
            assertThat(Math.sqrt(errorSquares / normSquares)).isLessThan(1e-2);
        }
    }

    /** A copy of {@code x} in a buffer of the Gemm under test (fp32, or rounded to bf16). */
    private MatrixBuffer buffer(final float[] x, final boolean bf16) {
        final MatrixBuffer buffer = gemm().newBuffer(x.length, bf16);
        buffer.write(0, x, 0, x.length);
        return buffer;
    }

    /**
     * {@link Gemm#multiply} with A in one of the Gemm's own buffers (read in place by the native
     * ones) and B in a heap array, both in fp32 or both in bf16, plus a bias.
     */
    private void checkBufferOperands(final boolean transA, final boolean transB, final boolean bf16) {
        final SplittableRandom random = new SplittableRandom(13);
        for (final int[] size : SIZES) {
            final Case t = new Case(random, transA, transB, size[0], size[1], size[2], 0.75f, bf16 ? 0f : 1f);
            final float[] bias = random(random, 2 + t.n);
            final float[] c = t.c.clone();
            try (MatrixBuffer a = buffer(t.a, bf16)) {
                gemm().multiply(transA, transB, t.m, t.n, t.k, t.alpha, Operand.of(a, t.aOff, t.lda),
                    bf16 ? Operand.ofBits(bits(t.b), t.bOff, t.ldb) : Operand.of(t.b, t.bOff, t.ldb), t.beta, c,
                    t.cOff, t.ldc, bias, 2);
            }
            final boolean rounded = bf16 || roundsFp32InputsToBf16();
            assertClose(t, c, rounded ? t.expected(roundedToBf16(t.a), roundedToBf16(t.b), bias, 2)
                : t.expected(t.a, t.b, bias, 2), 1e-5);
        }
    }

    @Test
    void shouldMatchTripleLoopWhenAIsInTheGemmsBuffer() {
        checkBufferOperands(false, false, false);
        checkBufferOperands(true, false, false);
        checkBufferOperands(false, true, false);
        checkBufferOperands(true, true, false);
    }

    @Test
    void shouldMatchTripleLoopInBf16WhenAIsInTheGemmsBuffer() {
        checkBufferOperands(false, false, true);
        checkBufferOperands(true, false, true);
        checkBufferOperands(false, true, true);
        checkBufferOperands(true, true, true);
    }

    @Test
    void shouldReadBuffersOfAnotherGemmAndMixedPrecisions() {
        final SplittableRandom random = new SplittableRandom(17);
        final Case t = new Case(random, false, true, 37, 53, 29, 1f, 0f);
        final float[] c = t.c.clone();
        // a heap buffer (JavaGemm's kind) as A, an fp32 array as B: fp32 product with A at bf16 precision
        try (MatrixBuffer a = new JavaGemm().newBuffer(t.a.length, true)) {
            a.write(0, t.a, 0, t.a.length);
            gemm().multiply(false, true, t.m, t.n, t.k, 1f, Operand.of(a, t.aOff, t.lda), Operand.of(t.b, t.bOff, t.ldb),
                0f, c, t.cOff, t.ldc, null, 0);
        }
        assertClose(t, c, t.expected(roundedToBf16(t.a), roundsFp32InputsToBf16() ? roundedToBf16(t.b) : t.b), 1e-5);
    }

    @Test
    void shouldRoundTripValuesThroughItsBuffers() {
        final float[] x = {1f, -2.5f, 3.1415927f, Float.NaN, Float.POSITIVE_INFINITY, 1e-40f, -0f};
        for (final boolean bf16 : new boolean[] {false, true}) {
            try (MatrixBuffer buffer = buffer(x, bf16)) {
                final float[] back = new float[x.length];
                buffer.read(0, back, 0, x.length);
                assertThat(back).containsExactly(bf16 ? roundedToBf16(x) : x);
                assertThatThrownBy(() -> buffer.write(5, x, 0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
            }
        }
    }

    @Test
    void shouldMatchTripleLoopWhenNeitherIsTransposed() {
        checkFp32(false, false, 0.75f, -0.5f);
    }

    @Test
    void shouldMatchTripleLoopWhenATransposed() {
        checkFp32(true, false, 0.75f, -0.5f);
    }

    @Test
    void shouldMatchTripleLoopWhenBTransposed() {
        checkFp32(false, true, 0.75f, -0.5f);
    }

    @Test
    void shouldMatchTripleLoopWhenBothTransposed() {
        checkFp32(true, true, 0.75f, -0.5f);
    }

    @Test
    void shouldAccumulateWhenBetaIsOne() {
        checkFp32(false, true, 1f, 1f);
        checkFp32(true, false, 1f, 1f);
    }

    @Test
    void shouldMatchTripleLoopInBf16WhenAnyIsTransposed() {
        checkBf16(false, false, 1f, 0f);
        checkBf16(true, false, 0.75f, -0.5f);
        checkBf16(false, true, 1f, 1f);
        checkBf16(true, true, -2f, 0.25f);
    }

    @Test
    void shouldIgnoreNanInCWhenBetaIsZero() {
        final SplittableRandom random = new SplittableRandom(3);
        final Case t = new Case(random, false, false, 9, 11, 6, 1f, 0f);
        final float[] c = t.c.clone();
        for (int i = 0; i < t.m; i++) {
            Arrays.fill(c, t.cOff + i * t.ldc, t.cOff + i * t.ldc + t.n, Float.NaN);
        }
        gemm().sgemm(false, false, t.m, t.n, t.k, 1f, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, 0f, c, t.cOff, t.ldc);
        final double[][] expected = roundsFp32InputsToBf16()
            ? t.expected(roundedToBf16(t.a), roundedToBf16(t.b)) : t.expected(t.a, t.b);
        assertClose(t, c, expected, 1e-5);
    }

    @Test
    void shouldScaleCWhenKIsZero() {
        final float[] c = {1f, 2f, 3f, 4f, 5f, 6f};
        gemm().sgemm(false, false, 2, 3, 0, 1f, new float[0], 0, 1, new float[0], 0, 3, 0.5f, c, 0, 3);
        assertThat(c).containsExactly(0.5f, 1f, 1.5f, 2f, 2.5f, 3f);
    }

    @Test
    void shouldRejectArgumentsWhenAMatrixRunsPastItsArray() {
        final Gemm gemm = gemm();
        final float[] small = new float[10];
        final float[] c = new float[16];
        assertThatThrownBy(() -> gemm.sgemm(false, false, 4, 4, 4, 1f, small, 0, 4, new float[16], 0, 4, 0f, c, 0,
            4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("A:");
        assertThatThrownBy(() -> gemm.sgemm(false, false, 4, 4, 4, 1f, new float[16], 0, 3, new float[16], 0, 4, 0f,
            c, 0, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ld=3");
    }
}
