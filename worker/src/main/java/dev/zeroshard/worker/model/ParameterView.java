package dev.zeroshard.worker.model;

/**
 * Where the model reads one unit's parameters right now: the tensor at layout offset {@code o} is at
 * {@code o + valuesShift} in {@link #values} (fp32) and, in BF16 mode, at {@code o + bitsShift} in {@link #bits}
 * (the bf16 compute weights).
 * A whole-buffer store shows the flat buffer itself (shift 0); a ZeRO-3 store shows a gathered copy of just the
 * unit. {@link #values} may be null where the model reads only {@link #bits} (the BF16 embedding). Filled by
 * {@link ModelStates#acquireParameters}; valid until the matching release.
 */
public final class ParameterView {
    float[] values;
    int valuesShift;
    short[] bits;
    int bitsShift;

    /** Points the view at {@code values} (layout offset o at {@code o + valuesShift}) and {@code bits} (likewise). */
    public void set(final float[] values, final int valuesShift, final short[] bits, final int bitsShift) {
        this.values = values;
        this.valuesShift = valuesShift;
        this.bits = bits;
        this.bitsShift = bitsShift;
    }
}
