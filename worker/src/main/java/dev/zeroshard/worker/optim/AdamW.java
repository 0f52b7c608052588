package dev.zeroshard.worker.optim;

import dev.zeroshard.worker.ops.Parallel;
import dev.zeroshard.worker.ops.Simd;

/**
 * One Adam step over a contiguous range of the flat buffer, in fp32, in the order of operations
 * PyTorch's {@code torch.optim.AdamW} uses (so that a fixture from it matches to rounding):
 * decoupled weight decay p -= lr·wd·p, m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², then
 * p -= (lr / (1-β1ᵗ)) · m / (sqrt(v) / sqrt(1-β2ᵗ) + eps).
 */
public final class AdamW {
    private AdamW() {
    }

    /**
     * Updates {@code length} parameters.
     *
     * @param param        fp32 master weights at {@code paramOff}.
     * @param grad         gradients at {@code gradOff} (already averaged, clipped and unscaled).
     * @param m            first moments at {@code stateOff}; {@code v} second moments, same offset.
     * @param weightDecay  decoupled decay for this range (0 for biases and LayerNorm parameters).
     * @param l2           when true, Adam with L2 regularisation (DeepSpeed's Adam with adam_w_mode
     *                     false): wd·p is added to the gradient instead of decaying p.
     * @param t            the step number, starting at 1.
     */
    public static void step(final float[] param, final int paramOff, final float[] grad, final int gradOff,
        final float[] m, final float[] v, final int stateOff, final int length, final double lr, final double beta1,
        final double beta2, final double eps, final double weightDecay, final boolean l2, final long t) {
        if (t < 1) {
            throw new IllegalArgumentException("Adam step t=" + t + " < 1");
        }
        // scalars are computed in double and rounded once, as PyTorch does with Python floats
        final float biasCorrection2Sqrt = (float)Math.sqrt(1.0 - Math.pow(beta2, t));
        final float stepSize = (float)(lr / (1.0 - Math.pow(beta1, t)));
        final float decay = (float)(l2 ? 1.0 : 1.0 - lr * weightDecay);
        final float l2Decay = (float)(l2 ? weightDecay : 0.0);
        final float b1 = (float)beta1;
        final float b2 = (float)beta2;
        final float oneMinusBeta1 = (float)(1.0 - beta1);
        final float oneMinusBeta2 = (float)(1.0 - beta2);
        final float epsilon = (float)eps;
        Parallel.shared().forRange(length, 8192, (from, to) -> {
            final int tail = Simd.ENABLED ? AdamWSimd.step(param, paramOff, grad, gradOff, m, v, stateOff, from, to,
                l2Decay, b1, oneMinusBeta1, b2, oneMinusBeta2, biasCorrection2Sqrt, epsilon, decay, stepSize) : from;
            for (int i = tail; i < to; i++) {
                final int p = paramOff + i;
                final int s = stateOff + i;
                final float w = param[p];
                final float g = grad[gradOff + i] + l2Decay * w;
                final float mi = m[s] * b1 + oneMinusBeta1 * g;
                final float vi = v[s] * b2 + oneMinusBeta2 * g * g;
                m[s] = mi;
                v[s] = vi;
                final float denom = (float)Math.sqrt(vi) / biasCorrection2Sqrt + epsilon;
                param[p] = w * decay - stepSize * (mi / denom);
            }
        });
    }
}
