package dev.zeroshard.worker.ops;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Finite-difference checks of LayerNorm, GELU, cross-entropy and the embedding. */
class ElementwiseOpsTest {
    private static final float H = 1e-2f;

    @Test
    void shouldMatchFiniteDifferencesForLayerNorm() {
        final int N = 70;
        final int C = 24;
        final float[] inp = FiniteDifferences.random(N * C, 1, 2f);
        final float[] params = FiniteDifferences.random(2 * C, 2, 1f);
        final float[] weights = FiniteDifferences.random(N * C, 3, 1f);
        // loss = Σ weights ∘ layernorm(inp)
        final java.util.function.DoubleSupplier loss = () -> {
            final float[] out = new float[N * C];
            LayerNorm.forward(out, 0, new float[N], 0, new float[N], 0, inp, 0, params, 0, C, N, C, 1e-5f);
            double sum = 0;
            for (int i = 0; i < out.length; i++) {
                sum += (double)weights[i] * out[i];
            }
            return sum;
        };
        final float[] out = new float[N * C];
        final float[] mean = new float[N];
        final float[] rstd = new float[N];
        LayerNorm.forward(out, 0, mean, 0, rstd, 0, inp, 0, params, 0, C, N, C, 1e-5f);
        final float[] dinp = new float[N * C];
        final float[] dparams = new float[2 * C];
        LayerNorm.backward(dinp, 0, dparams, 0, C, weights, 0, inp, 0, params, 0, mean, 0, rstd, 0, N, C,
            new float[LayerNorm.scratchLength(N, C)]);

        assertThat(FiniteDifferences.maxRelativeError(inp, 0, N * C, dinp, 0, 200, 4, H, 1e-1, loss)).isLessThan(2e-2);
        assertThat(FiniteDifferences.maxRelativeError(params, 0, 2 * C, dparams, 0, 2 * C, 5, H, 1e-1, loss))
            .isLessThan(2e-2);
    }

    @Test
    void shouldMatchFiniteDifferencesForGelu() {
        final int N = 1000;
        final float[] inp = FiniteDifferences.random(N, 6, 4f);
        final float[] weights = FiniteDifferences.random(N, 7, 1f);
        final java.util.function.DoubleSupplier loss = () -> {
            final float[] out = new float[N];
            Gelu.forward(out, 0, inp, 0, N);
            double sum = 0;
            for (int i = 0; i < N; i++) {
                sum += (double)weights[i] * out[i];
            }
            return sum;
        };
        final float[] dinp = new float[N];
        Gelu.backward(dinp, 0, inp, 0, weights, 0, N);

        assertThat(FiniteDifferences.maxRelativeError(inp, 0, N, dinp, 0, N, 8, 1e-2f, 1e-1, loss)).isLessThan(1e-2);
    }

    @Test
    void shouldMatchFiniteDifferencesForCrossEntropyAndComputeMeanLoss() {
        final int N = 13;
        final int V = 37;
        final float[] logits = FiniteDifferences.random(N * V, 9, 3f);
        final int[] targets = new int[N];
        for (int n = 0; n < N; n++) {
            targets[n] = (n * 7 + 3) % V;
        }
        final java.util.function.DoubleSupplier loss = () -> CrossEntropy.forwardBackward(logits.clone(), 0,
            new float[N], 0, targets, 0, N, V, 0f) / N;
        double expected = 0;
        for (int n = 0; n < N; n++) {
            double sum = 0;
            for (int v = 0; v < V; v++) {
                sum += Math.exp(logits[n * V + v]);
            }
            expected += Math.log(sum) - logits[n * V + targets[n]];
        }
        final float[] grad = logits.clone();
        final double total = CrossEntropy.forwardBackward(grad, 0, new float[N], 0, targets, 0, N, V, 1f / N);

        assertThat(total / N).isCloseTo(expected / N, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(FiniteDifferences.maxRelativeError(logits, 0, N * V, grad, 0, N * V, 11, 1e-2f, 1e-2, loss))
            .isLessThan(1e-2);
    }

    @Test
    void shouldAccumulateEmbeddingGradientIntoTokenAndPositionRows() {
        final int B = 2;
        final int T = 3;
        final int C = 4;
        final int V = 5;
        final int[] tokens = {1, 4, 1, 0, 1, 2};
        final float[] params = FiniteDifferences.random(V * C + T * C, 12, 1f);
        final float[] out = new float[B * T * C];
        Encoder.forward(out, 0, tokens, 0, params, 0, V * C, B, T, C);
        assertThat(out[C + 2]).isEqualTo(params[4 * C + 2] + params[V * C + C + 2]);

        final float[] dout = FiniteDifferences.random(B * T * C, 13, 1f);
        final float[] grads = new float[params.length];
        Encoder.backward(grads, 0, V * C, dout, 0, tokens, 0, B, T, C);

        // token 1 appears at (0,0), (0,2) and (1,1)
        assertThat(grads[C]).isEqualTo(dout[0] + dout[2 * C] + dout[4 * C]);
        // position 0 is used by (0,0) and (1,0)
        assertThat(grads[V * C]).isEqualTo(dout[0] + dout[3 * C]);
    }
}
