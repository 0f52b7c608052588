package dev.zeroshard.worker.optim;

import dev.zeroshard.protocol.config.OptimizerConfig;
import dev.zeroshard.sharding.layout.ParameterLayout;
import dev.zeroshard.sharding.layout.TensorRange;

/**
 * Adam/AdamW over a range of the flat buffer (all of it, or one ZeRO rank's shard), tensor by tensor:
 * fp32 moments m and v mirror the range, weight decay applies to matrices only (GPT-2 practice: linear
 * weights and embeddings, never biases or LayerNorm parameters). Every element's update depends only on
 * its own parameter, gradient and moments, so a sharded step gives the bits of the whole-buffer one.
 */
public final class AdamOptimizer {
    private final ParameterLayout layout;
    private final OptimizerConfig config;
    private final long start;
    private final long end;
    private final float[] m;
    private final float[] v;
    private long step;

    /** The optimizer of the whole buffer. */
    public AdamOptimizer(final ParameterLayout layout, final OptimizerConfig config) {
        this(layout, config, 0, layout.totalElements(), Math.toIntExact(layout.totalElements()));
    }

    /**
     * The optimizer of elements {@code [start, end)}, its moments {@code momentLength >= end - start} long (a
     * ZeRO shard, padding included).
     */
    public AdamOptimizer(final ParameterLayout layout, final OptimizerConfig config, final long start,
        final long end, final int momentLength) {
        if (start < 0 || end < start || end > layout.totalElements() || momentLength < end - start) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") with " + momentLength
                + " moments does not fit a layout of " + layout.totalElements() + " elements");
        }
        this.layout = layout;
        this.config = config;
        this.start = start;
        this.end = end;
        this.m = new float[momentLength];
        this.v = new float[momentLength];
    }

    /** Optimizer steps taken so far (Adam's t after the last step). */
    public long stepCount() {
        return step;
    }

    /** First moments of the range, layout order. */
    public float[] firstMoments() {
        return m;
    }

    /** Second moments of the range, layout order. */
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

    /** One step over the whole buffer: updates {@code master} from {@code grads} with learning rate {@code lr}. */
    public void step(final float[] master, final float[] grads, final double lr) {
        step(master, (int) start, grads, (int) start, lr);
    }

    /**
     * One step over the range: element e (a layout offset) of the parameters is {@code master[e - start +
     * masterBase]}, of the gradients {@code grads[e - start + gradBase]}.
     */
    public void step(final float[] master, final int masterBase, final float[] grads, final int gradBase,
        final double lr) {
        step++;
        final boolean l2 = config.type() == OptimizerConfig.Type.ADAM;
        for (final TensorRange tensor : layout.tensors()) {
            final long from = Math.max(start, tensor.offsetElements());
            final long to = Math.min(end, tensor.endElements());
            if (from >= to) {
                continue;
            }
            final int local = (int) (from - start);
            final double decay = tensor.isMatrix() ? config.weightDecay() : 0.0;
            AdamW.step(master, local + masterBase, grads, local + gradBase, m, v, local, (int) (to - from), lr,
                config.beta1(), config.beta2(), config.eps(), decay, l2, step);
        }
    }
}
