package dev.zeroshard.worker.model;

/**
 * Where the model reads one unit's parameters right now: the tensor at layout offset {@code o} is at
 * {@code o + valuesShift} in {@link #values} (fp32) and, in BF16 mode, at {@code o + bitsShift} in {@link #bits}
 * (the bf16 compute weights).
 * A whole-buffer store shows the flat buffer itself (shift 0); a ZeRO-3 store shows a gathered copy of just the
 * unit. {@link #values} may be null where the model reads only {@link #bits} (the BF16 embedding). Filled by
 * {@link ModelStates#acquireParameters}; valid until the matching release.
 *
 * <p>{@link #version} lets a model that keeps its own copy of the weights (a GPU's) skip reading a unit again: two
 * acquisitions of a unit with the same non-negative version show the same values. -1 means unknown: read it. Such a
 * model says which version it holds ({@link #holding}) before it acquires; a store at that version may then leave
 * out work whose only purpose is the arrays' contents (widening bf16 weights to fp32), so the arrays may be stale.
 */
public final class ParameterView {
    float[] values;
    int valuesShift;
    short[] bits;
    int bitsShift;
    long version = -1;
    long heldVersion = -1;

    /** Points the view at {@code values} (layout offset o at {@code o + valuesShift}) and {@code bits} (likewise). */
    public void set(final float[] values, final int valuesShift, final short[] bits, final int bitsShift) {
        set(values, valuesShift, bits, bitsShift, -1);
    }

    /** As {@link #set(float[], int, short[], int)}, saying which version of the weights the arrays hold. */
    public void set(final float[] values, final int valuesShift, final short[] bits, final int bitsShift,
                    final long version) {
        this.values = values;
        this.valuesShift = valuesShift;
        this.bits = bits;
        this.bitsShift = bitsShift;
        this.version = version;
    }

    public float[] values() {
        return values;
    }

    public int valuesShift() {
        return valuesShift;
    }

    public short[] bits() {
        return bits;
    }

    public int bitsShift() {
        return bitsShift;
    }

    public long version() {
        return version;
    }

    /** The model already holds version {@code version} of the unit it acquires next (-1: none). */
    public void holding(final long version) {
        this.heldVersion = version;
    }

    /** What the model said it holds: a store at this version need not fill what only the values are for. */
    public long heldVersion() {
        return heldVersion;
    }
}
