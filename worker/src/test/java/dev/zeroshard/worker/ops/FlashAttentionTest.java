package dev.zeroshard.worker.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlashAttentionTest {
    /** ‖flash − naive‖ / ‖naive‖ over a whole tensor. */
    private static final double RELATIVE_TOLERANCE = 1e-5;
    /** max |flash − naive| over a whole tensor. */
    private static final double ABSOLUTE_TOLERANCE = 1e-4;
    /** Where each tensor starts inside its array, so that offsets are exercised. */
    private static final int QKV_OFF = 3;
    private static final int OUT_OFF = 5;
    private static final int LSE_OFF = 7;
    private static final int PAD = 11;
    private static final float SENTINEL = 12345f;

    @ParameterizedTest(name = "B={0} T={1} C={2} NH={3}")
    @CsvSource({
        // hs = 16; 128 is a whole number of key tiles, 256 of query tiles, 77, 130 and 300 neither
        "2, 1, 48, 3", "2, 77, 48, 3", "2, 128, 48, 3", "2, 130, 48, 3", "2, 256, 48, 3", "1, 300, 48, 3",
        // hs = 64
        "2, 1, 256, 4", "2, 77, 256, 4", "2, 128, 256, 4", "2, 130, 256, 4", "1, 300, 256, 4",
        // hs = 5: the head size is not a multiple of the 4-wide unrolling
        "1, 70, 10, 2",
        // three query tiles, the last one partial
        "1, 600, 64, 2",
    })
    void shouldMatchNaiveAttentionWhenShapesVary(final int B, final int T, final int C, final int NH) {
        checkAgainstNaive(B, T, C, NH, Variant.DEFAULT);
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} NH={3}")
    @CsvSource({"2, 77, 48, 3", "1, 300, 256, 4", "1, 70, 10, 2"})
    void shouldMatchNaiveAttentionWhenVectorApiIsAbsent(final int B, final int T, final int C, final int NH) {
        checkAgainstNaive(B, T, C, NH, Variant.SCALAR);
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} NH={3}")
    @CsvSource({"2, 77, 48, 3", "1, 70, 10, 2"})
    void shouldOverwriteGradientWhenNotAccumulating(final int B, final int T, final int C, final int NH) {
        checkAgainstNaive(B, T, C, NH, Variant.OVERWRITE);
    }

    /** Which entry point computes the attention. */
    private enum Variant { DEFAULT, SCALAR, OVERWRITE }

    private static void checkAgainstNaive(final int B, final int T, final int C, final int NH, final Variant variant) {
        final Random random = new Random(31L * T + C);
        final float[] qkv = padded(random, QKV_OFF, B * T * 3 * C, 1.5f);
        final float[] dout = padded(random, OUT_OFF, B * T * C, 1f);
        final float[] out = new float[OUT_OFF + B * T * C + PAD];
        final float[] lse = new float[LSE_OFF + B * NH * T + PAD];
        Arrays.fill(out, SENTINEL);
        Arrays.fill(lse, SENTINEL);
        final float[] dqkv = new float[QKV_OFF + B * T * 3 * C + PAD];
        Arrays.fill(dqkv, SENTINEL);
        if (variant != Variant.OVERWRITE) {
            Arrays.fill(dqkv, QKV_OFF, QKV_OFF + B * T * 3 * C, 0f);
        }

        if (variant == Variant.SCALAR) {
            FlashAttentionScalar.forward(out, OUT_OFF, lse, LSE_OFF, qkv, QKV_OFF, B, T, C, NH);
            FlashAttentionScalar.backward(dqkv, QKV_OFF, dout, OUT_OFF, out, OUT_OFF, lse, LSE_OFF, qkv, QKV_OFF, B,
                T, C, NH);
        } else {
            FlashAttention.forward(out, OUT_OFF, lse, LSE_OFF, qkv, QKV_OFF, B, T, C, NH);
            FlashAttention.backward(dqkv, QKV_OFF, dout, OUT_OFF, out, OUT_OFF, lse, LSE_OFF, qkv, QKV_OFF, B, T, C,
                NH, variant == Variant.DEFAULT);
        }

        final double[] qkvD = slice(qkv, QKV_OFF, B * T * 3 * C);
        final double[] expectedOut = new double[B * T * C];
        final double[] expectedLse = new double[B * NH * T];
        NaiveAttention.forward(expectedOut, expectedLse, qkvD, B, T, C, NH);
        final double[] expectedGrad = new double[B * T * 3 * C];
        NaiveAttention.backward(expectedGrad, slice(dout, OUT_OFF, B * T * C), qkvD, B, T, C, NH);

        assertClose("out", slice(out, OUT_OFF, B * T * C), expectedOut);
        assertClose("lse", slice(lse, LSE_OFF, B * NH * T), expectedLse);
        assertClose("dq", part(slice(dqkv, QKV_OFF, B * T * 3 * C), 0, C), part(expectedGrad, 0, C));
        assertClose("dk", part(slice(dqkv, QKV_OFF, B * T * 3 * C), 1, C), part(expectedGrad, 1, C));
        assertClose("dv", part(slice(dqkv, QKV_OFF, B * T * 3 * C), 2, C), part(expectedGrad, 2, C));
        assertPaddingUntouched("out", out, OUT_OFF, B * T * C);
        assertPaddingUntouched("lse", lse, LSE_OFF, B * NH * T);
        assertPaddingUntouched("dqkv", dqkv, QKV_OFF, B * T * 3 * C);
    }

    @Test
    void shouldMatchFiniteDifferencesWhenSequenceIsTiny() {
        final int B = 1;
        final int T = 5;
        final int C = 8;
        final int NH = 2;
        final Random random = new Random(7);
        final float[] qkv = padded(random, 0, B * T * 3 * C, 1.5f);
        final float[] dout = padded(random, 0, B * T * C, 1f);
        final float[] out = new float[B * T * C];
        final float[] lse = new float[B * NH * T];
        final float[] dqkv = new float[B * T * 3 * C];
        FlashAttention.forward(out, 0, lse, 0, qkv, 0, B, T, C, NH);
        FlashAttention.backward(dqkv, 0, dout, 0, out, 0, lse, 0, qkv, 0, B, T, C, NH);

        // central differences of L(qkv) = Σ dout∘attention(qkv), all in double: with h = 1e-5 the
        // truncation error (~h²) and the rounding error (~1e-16/h) are both below 1e-9
        final double[] x = slice(qkv, 0, B * T * 3 * C);
        final double[] g = slice(dout, 0, B * T * C);
        final double h = 1e-5;
        final double[] numeric = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            final double saved = x[e];
            x[e] = saved + h;
            final double plus = loss(x, g, B, T, C, NH);
            x[e] = saved - h;
            final double minus = loss(x, g, B, T, C, NH);
            x[e] = saved;
            numeric[e] = (plus - minus) / (2 * h);
        }
        final double[] analytic = new double[x.length];
        NaiveAttention.backward(analytic, g, x, B, T, C, NH);
        assertThat(maxAbsDiff(analytic, numeric)).as("naive backward vs finite differences").isLessThan(1e-8);
        // float kernel vs double finite differences: float rounding (~1e-7 relative) is what is left
        assertThat(maxAbsDiff(toDouble(dqkv), numeric)).as("flash backward vs finite differences").isLessThan(1e-5);
        assertThat(relativeError(toDouble(dqkv), numeric)).as("flash backward vs finite differences").isLessThan(1e-5);
    }

    @Test
    void shouldAccumulateGradientWhenBackwardRunsTwice() {
        final int B = 2;
        final int T = 70;
        final int C = 48;
        final int NH = 3;
        final Random random = new Random(3);
        final float[] qkv = padded(random, 0, B * T * 3 * C, 1f);
        final float[] dout = padded(random, 0, B * T * C, 1f);
        final float[] out = new float[B * T * C];
        final float[] lse = new float[B * NH * T];
        FlashAttention.forward(out, 0, lse, 0, qkv, 0, B, T, C, NH);
        final float[] once = new float[B * T * 3 * C];
        FlashAttention.backward(once, 0, dout, 0, out, 0, lse, 0, qkv, 0, B, T, C, NH);
        final float[] twice = new float[B * T * 3 * C];
        FlashAttention.backward(twice, 0, dout, 0, out, 0, lse, 0, qkv, 0, B, T, C, NH);
        FlashAttention.backward(twice, 0, dout, 0, out, 0, lse, 0, qkv, 0, B, T, C, NH);

        // each element receives one addition per call, so x + x = 2x exactly
        for (int e = 0; e < once.length; e++) {
            assertThat(twice[e]).as("element %d", e).isEqualTo(2f * once[e]);
        }
    }

    @Test
    void shouldMatchPowersOfTwoWhenExponentIsBetweenMinus63AndZero() {
        final int n = 1 << 20;
        final float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -63f * i / (n - 1);
        }
        final float[] y = x.clone();
        FlashAttentionScalar.exp2Diff(y, new float[n], 0, n);
        double worst = 0.0;
        for (int i = 0; i < n; i++) {
            final double exact = Math.pow(2.0, x[i]);
            worst = Math.max(worst, Math.abs(y[i] - exact) / exact);
        }
        assertThat(worst).isLessThan(2.5e-7);

        final float[] shifted = {3f, 2.5f, 0f, -100f, Float.NEGATIVE_INFINITY};
        final float[] three = new float[shifted.length];
        Arrays.fill(three, 3f);
        FlashAttentionScalar.exp2Diff(shifted, three, 0, shifted.length);
        assertThat(shifted[0]).isEqualTo(1f);
        assertThat((double)shifted[1]).isCloseTo(Math.sqrt(0.5), offset(1e-7));
        assertThat((double)shifted[2]).isCloseTo(0.125, offset(1e-8));
        assertThat(shifted[3]).isLessThanOrEqualTo(0x1p-63f).isGreaterThanOrEqualTo(0f);
        assertThat(shifted[4]).isLessThanOrEqualTo(0x1p-63f).isGreaterThanOrEqualTo(0f);
    }

    @Test
    void shouldRejectShapeWhenChannelsDoNotSplitIntoHeads() {
        final float[] a = new float[1000];
        assertThatThrownBy(() -> FlashAttention.forward(a, 0, a, 0, a, 0, 1, 2, 10, 3))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("C=10").hasMessageContaining("NH=3");
        assertThatThrownBy(() -> FlashAttention.forward(new float[10], 0, a, 0, a, 0, 1, 8, 16, 2))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out");
    }

    private static double loss(final double[] qkv, final double[] dout, final int B, final int T, final int C,
                               final int NH) {
        final double[] out = new double[B * T * C];
        NaiveAttention.forward(out, new double[B * NH * T], qkv, B, T, C, NH);
        double sum = 0.0;
        for (int i = 0; i < out.length; i++) {
            sum += out[i] * dout[i];
        }
        return sum;
    }

    /** An array of off + n + PAD floats; [off, off+n) Gaussian times scale, the rest SENTINEL. */
    private static float[] padded(final Random random, final int off, final int n, final float scale) {
        final float[] a = new float[off + n + PAD];
        Arrays.fill(a, SENTINEL);
        for (int i = 0; i < n; i++) {
            a[off + i] = (float)random.nextGaussian() * scale;
        }
        return a;
    }

    private static double[] slice(final float[] a, final int off, final int n) {
        final double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = a[off + i];
        }
        return y;
    }

    private static double[] toDouble(final float[] a) {
        return slice(a, 0, a.length);
    }

    /** Part 0 (q), 1 (k) or 2 (v) of a (B,T,3C) tensor, as (B,T,C). */
    private static double[] part(final double[] qkv, final int which, final int C) {
        final int rows = qkv.length / (3 * C);
        final double[] y = new double[rows * C];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(qkv, r * 3 * C + which * C, y, r * C, C);
        }
        return y;
    }

    private static void assertClose(final String name, final double[] actual, final double[] expected) {
        // a zero reference (dq and dk when T = 1: a one-key softmax has no gradient) has no relative error
        if (maxAbsDiff(expected, new double[expected.length]) > 0.0) {
            assertThat(relativeError(actual, expected)).as(name + " relative error").isLessThan(RELATIVE_TOLERANCE);
        }
        assertThat(maxAbsDiff(actual, expected)).as(name + " max abs error").isLessThan(ABSOLUTE_TOLERANCE);
    }

    private static void assertPaddingUntouched(final String name, final float[] a, final int off, final int n) {
        for (int i = 0; i < a.length; i++) {
            if (i < off || i >= off + n) {
                assertThat(a[i]).as(name + "[" + i + "] outside the tensor").isEqualTo(SENTINEL);
            }
        }
    }

    private static double relativeError(final double[] actual, final double[] expected) {
        double diff = 0.0;
        double norm = 0.0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff) / Math.sqrt(norm);
    }

    private static double maxAbsDiff(final double[] actual, final double[] expected) {
        double worst = 0.0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        return worst;
    }
}
