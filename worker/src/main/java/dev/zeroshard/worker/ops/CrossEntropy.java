package dev.zeroshard.worker.ops;

/** Softmax and cross-entropy fused: the loss and, in place of the logits, their gradient. */
public final class CrossEntropy {
    private CrossEntropy() {
    }

    /**
     * For each of the N rows of {@code logits} (N,V): the loss -log softmax(logits)[target] into
     * {@code losses} (N), and, when {@code gradScale} is not 0, overwrites the row with its gradient
     * dlogits = (softmax - onehot(target)) * gradScale (gradScale = 1/N for a mean over rows). The
     * logits are not needed after this, so reusing their memory saves a (N,V) buffer (the largest
     * activation of a GPT-2 with its 50,257-token vocabulary).
     *
     * @return the sum of the N losses, added in row order in double.
     */
    public static double forwardBackward(final float[] logits, final int logitsOff, final float[] losses,
        final int lossesOff, final int[] targets, final int targetsOff, final int N, final int V,
        final float gradScale) {
        Parallel.shared().forRange(N, 4, (from, to) -> {
            final float[] lanes = Simd.ENABLED ? new float[CrossEntropySimd.lanes()] : null;
            for (int n = from; n < to; n++) {
                final int row = logitsOff + n * V;
                if (Simd.ENABLED) {
                    losses[lossesOff + n] = rowSimd(logits, row, V, targets[targetsOff + n], gradScale, lanes);
                    continue;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int v = 0; v < V; v++) {
                    max = Math.max(max, logits[row + v]);
                }
                final int target = targets[targetsOff + n];
                final float targetLogit = logits[row + target];
                double sum = 0;
                if (gradScale == 0f) {
                    for (int v = 0; v < V; v++) {
                        sum += Math.exp(logits[row + v] - max);
                    }
                } else {
                    // keep exp(x - max) in place so the gradient pass needs no second exp
                    for (int v = 0; v < V; v++) {
                        final float e = (float)Math.exp(logits[row + v] - max);
                        logits[row + v] = e;
                        sum += e;
                    }
                    final float scale = (float)(gradScale / sum);
                    for (int v = 0; v < V; v++) {
                        logits[row + v] *= scale;
                    }
                    logits[row + target] -= gradScale;
                }
                losses[lossesOff + n] = (float)(Math.log(sum) - (targetLogit - max));
            }
        });
        double total = 0;
        for (int n = 0; n < N; n++) {
            total += losses[lossesOff + n];
        }
        return total;
    }

    /** One row on the Vector API: the same steps, e^x by {@link Simd#exp}'s polynomial (2e-7 relative). */
    private static float rowSimd(final float[] logits, final int row, final int V, final int target,
        final float gradScale, final float[] lanes) {
        final float max = CrossEntropySimd.max(logits, row, V);
        final float targetLogit = logits[row + target];
        final double sum = CrossEntropySimd.expSum(logits, row, V, max, gradScale != 0f, lanes);
        if (gradScale != 0f) {
            CrossEntropySimd.scale(logits, row, V, (float)(gradScale / sum));
            logits[row + target] -= gradScale;
        }
        return (float)(Math.log(sum) - (targetLogit - max));
    }
}
