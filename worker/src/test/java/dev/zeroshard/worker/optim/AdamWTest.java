package dev.zeroshard.worker.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * AdamW's update against the scalar formula it documents, bit for bit: the vector body and the
 * scalar tail must give the same values (lengths that are no multiple of the lane count, arrays at
 * different offsets), and PyTorch's order of operations must hold.
 */
class AdamWTest {
    private static float[] random(final SplittableRandom random, final int n, final double scale) {
        final float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float)((random.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    private static void check(final boolean l2) {
        final SplittableRandom random = new SplittableRandom(l2 ? 3 : 4);
        final int n = 20_011;
        final float[] param = random(random, 5 + n, 1);
        final float[] grad = random(random, 7 + n, 1e-2);
        final float[] m = random(random, 3 + n, 1e-3);
        final float[] v = random(random, 3 + n, 1e-5);
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i]);
        }
        final float[] expectedParam = param.clone();
        final float[] expectedM = m.clone();
        final float[] expectedV = v.clone();
        final double lr = 3e-4;
        final double beta1 = 0.9;
        final double beta2 = 0.95;
        final double eps = 1e-8;
        final double weightDecay = 0.1;
        final long t = 7;
        AdamW.step(param, 5, grad, 7, m, v, 3, n, lr, beta1, beta2, eps, weightDecay, l2, t);

        final float bc2 = (float)Math.sqrt(1.0 - Math.pow(beta2, t));
        final float stepSize = (float)(lr / (1.0 - Math.pow(beta1, t)));
        final float decay = (float)(l2 ? 1.0 : 1.0 - lr * weightDecay);
        final float l2Decay = (float)(l2 ? weightDecay : 0.0);
        for (int i = 0; i < n; i++) {
            final float w = expectedParam[5 + i];
            final float g = grad[7 + i] + l2Decay * w;
            final float mi = expectedM[3 + i] * (float)beta1 + (float)(1.0 - beta1) * g;
            final float vi = expectedV[3 + i] * (float)beta2 + (float)(1.0 - beta2) * g * g;
            expectedM[3 + i] = mi;
            expectedV[3 + i] = vi;
            final float denom = (float)Math.sqrt(vi) / bc2 + (float)eps;
            expectedParam[5 + i] = w * decay - stepSize * (mi / denom);
        }
        assertThat(param).containsExactly(expectedParam);
        assertThat(m).containsExactly(expectedM);
        assertThat(v).containsExactly(expectedV);
    }

    @Test
    void shouldGiveTheScalarFormulasBitsWhenDecoupled() {
        check(false);
    }

    @Test
    void shouldGiveTheScalarFormulasBitsWhenL2() {
        check(true);
    }
}
