package dev.zeroshard.worker.optim;

import dev.zeroshard.protocol.config.OptimizerConfig;
import dev.zeroshard.sharding.layout.ParameterLayout;
import dev.zeroshard.sharding.layout.TensorRange;

/**
 * Adam/AdamW over the whole flat buffer, tensor by tensor: fp32 moments m and v mirror the layout,
 * weight decay applies to matrices only (GPT-2 practice: linear weights and embeddings, never
 * biases or LayerNorm parameters).
 */
public final class AdamOptimizer {
    private final ParameterLayout layout;
    private final OptimizerConfig config;
    private final float[] m;
    private final float[] v;
    private long step;

    public AdamOptimizer(final ParameterLayout layout, final OptimizerConfig config) {
        this.layout = layout;
        this.config = config;
        final int length = Math.toIntExact(layout.totalElements());
        this.m = new float[length];
        this.v = new float[length];
    }

    /** Optimizer steps taken so far (Adam's t after the last step). */
    public long stepCount() {
        return step;
    }

    /** First moments, layout order. */
    public float[] firstMoments() {
        return m;
    }

    /** Second moments, layout order. */
    public float[] secondMoments() {
        return v;
    }

    /** Restores the step count (with the moments, when resuming from a checkpoint). */
    public void restoreStepCount(final long stepCount) {
        if (stepCount < 0) {
            throw new IllegalArgumentException("step count " + stepCount + " < 0");
        }
        this.step = stepCount;
    }

    /** One step: updates {@code master} from {@code grads} with learning rate {@code lr}. */
    public void step(final float[] master, final float[] grads, final double lr) {
        step++;
        final boolean l2 = config.type() == OptimizerConfig.Type.ADAM;
        for (final TensorRange tensor : layout.tensors()) {
            final int off = Math.toIntExact(tensor.offsetElements());
            final double decay = tensor.isMatrix() ? config.weightDecay() : 0.0;
            AdamW.step(master, off, grads, off, m, v, off, Math.toIntExact(tensor.lengthElements()), lr,
                config.beta1(), config.beta2(), config.eps(), decay, l2, step);
        }
    }
}
