package dev.zeroshard.worker.optim;

import dev.zeroshard.sharding.layout.ParameterLayout;
import dev.zeroshard.sharding.layout.TensorRange;
import dev.zeroshard.worker.ops.Parallel;

import java.util.Optional;

/**
 * Gradient statistics before the optimizer step: the global L2 norm (sums of squares in double,
 * over fixed blocks added in order, so the value does not depend on the thread count), clipping,
 * and the first tensor that holds a NaN or an infinity.
 */
public final class GradientNorm {
    private static final int BLOCK = 1 << 14;

    private GradientNorm() {
    }

    /** Σ g² over [off, off + length), in double. */
    public static double sumOfSquares(final float[] grads, final int off, final int length) {
        final int blocks = (length + BLOCK - 1) / BLOCK;
        final double[] partial = new double[blocks];
        Parallel.shared().forRange(blocks, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                final int end = Math.min(length, (b + 1) * BLOCK);
                double sum = 0;
                for (int i = b * BLOCK; i < end; i++) {
                    final double g = grads[off + i];
                    sum += g * g;
                }
                partial[b] = sum;
            }
        });
        double total = 0;
        for (final double p : partial) {
            total += p;
        }
        return total;
    }

    /**
     * Scales the gradients so their norm is at most {@code maxNorm} (PyTorch's clip_grad_norm_:
     * factor maxNorm / (norm + 1e-6) when below 1). Returns the factor applied (1 when none).
     */
    public static float clip(final float[] grads, final int off, final int length, final double norm,
        final double maxNorm) {
        if (maxNorm <= 0 || norm <= maxNorm) {
            return 1f;
        }
        final float factor = (float)(maxNorm / (norm + 1e-6));
        Parallel.shared().forRange(length, 16384, (from, to) -> {
            for (int i = off + from; i < off + to; i++) {
                grads[i] *= factor;
            }
        });
        return factor;
    }

    /** The first tensor (layout order) with a non-finite gradient, if any. */
    public static Optional<TensorRange> firstNonFinite(final ParameterLayout layout, final float[] grads) {
        for (final TensorRange tensor : layout.tensors()) {
            final int end = Math.toIntExact(tensor.endElements());
            for (int i = Math.toIntExact(tensor.offsetElements()); i < end; i++) {
                if (!Float.isFinite(grads[i])) {
                    return Optional.of(tensor);
                }
            }
        }
        return Optional.empty();
    }
}
