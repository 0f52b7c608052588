package dev.zeroshard.worker.model;

/**
 * Where backward adds one unit's gradients: layout offset {@code o} is at {@code o + shift} in {@link #values}.
 * Filled by {@link ModelStates#beginGradients}; valid until the matching end.
 */
public final class GradientView {
    float[] values;
    int shift;

    /** Points the view at {@code values}, where layout offset o is at index {@code o + shift}. */
    public void set(final float[] values, final int shift) {
        this.values = values;
        this.shift = shift;
    }

    public float[] values() {
        return values;
    }

    public int shift() {
        return shift;
    }
}
