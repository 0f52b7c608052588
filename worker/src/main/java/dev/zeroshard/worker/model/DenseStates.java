package dev.zeroshard.worker.model;

import dev.zeroshard.worker.ops.Bf16Convert;

import java.util.Arrays;

/**
 * The whole flat buffer in one process: fp32 parameters and gradients of Ψ elements and, in BF16 mode, the bf16
 * compute weights beside them. Every unit's view is the buffer itself; backward adds straight into the gradients.
 */
public final class DenseStates implements ModelStates {
    private final float[] params;
    private final float[] grads;
    private final short[] paramBits;

    public DenseStates(final GptLayout layout, final Precision precision) {
        this.params = new float[layout.totalElements()];
        this.grads = new float[layout.totalElements()];
        this.paramBits = precision == Precision.BF16 ? new short[layout.totalElements()] : null;
    }

    public float[] parameters() {
        return params;
    }

    public float[] gradients() {
        return grads;
    }

    public void zeroGradients() {
        Arrays.fill(grads, 0f);
    }

    /** Refreshes the bf16 weights (and rounds the fp32 ones to bf16 values) after the parameters changed. */
    public void parametersChanged() {
        if (paramBits != null) {
            Bf16Convert.toBitsRoundingSource(params, 0, paramBits, 0, params.length);
        }
    }

    @Override
    public void acquireParameters(final int unit, final ParameterView view) {
        view.set(params, 0, paramBits, 0);
    }

    @Override
    public void releaseParameters(final int unit) {
    }

    @Override
    public void beginGradients(final int unit, final GradientView view) {
        view.set(grads, 0);
    }

    @Override
    public void endGradients(final int unit) {
    }
}
