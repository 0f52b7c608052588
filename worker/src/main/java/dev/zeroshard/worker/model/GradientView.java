package dev.zeroshard.worker.model;

/**
 * Where backward puts one unit's gradients. Filled by {@link ModelStates#beginGradients}; valid until the matching
 * end. Either the store hands out an array, where backward adds layout offset {@code o} at {@code o + shift} in
 * {@link #values}, or, for a model with {@link GptModel#hostGradients() host gradients of its own}, the store
 * {@link #leaveInModel() reads them there} and {@link #values} is null.
 */
public final class GradientView {
    float[] values;
    int shift;
    private boolean inModel;

    /** Points the view at {@code values}, where layout offset o is at index {@code o + shift}. */
    public void set(final float[] values, final int shift) {
        this.values = values;
        this.shift = shift;
        this.inModel = false;
    }

    /** The store reads the unit's gradients in the model's host buffer: backward adds them nowhere else. */
    public void leaveInModel() {
        this.values = null;
        this.shift = 0;
        this.inModel = true;
    }

    /** Whether the store reads this unit's gradients in the model's host buffer (then {@link #values} is null). */
    public boolean inModel() {
        return inModel;
    }

    public float[] values() {
        return values;
    }

    public int shift() {
        return shift;
    }
}
