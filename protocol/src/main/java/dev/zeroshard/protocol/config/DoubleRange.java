package dev.zeroshard.protocol.config;

/**
 * The allowed values of a floating-point field, each bound inclusive or not; its {@link #rule()}
 * is the text of the error when a value falls outside. Shared by reader and record like {@link LongRange}.
 */
record DoubleRange(double min, boolean minInclusive, double max, boolean maxInclusive) {
    /** (0, +inf). */
    static final DoubleRange POSITIVE = new DoubleRange(0.0, false, Double.POSITIVE_INFINITY, false);
    /** [0, +inf). */
    static final DoubleRange NON_NEGATIVE = new DoubleRange(0.0, true, Double.POSITIVE_INFINITY, false);
    /** [0, 1): momentum coefficients. */
    static final DoubleRange UNIT_EXCLUSIVE = new DoubleRange(0.0, true, 1.0, false);
    /** [0, 1]: ratios. */
    static final DoubleRange UNIT = new DoubleRange(0.0, true, 1.0, true);

    boolean contains(final double value) {
        if (!Double.isFinite(value)) {
            return false;
        }
        final boolean aboveMin = minInclusive ? value >= min : value > min;
        final boolean belowMax = maxInclusive ? value <= max : value < max;
        return aboveMin && belowMax;
    }

    String rule() {
        if (max == Double.POSITIVE_INFINITY) {
            return "must be " + (minInclusive ? ">= " : "> ") + bound(min);
        }
        return "must be in " + (minInclusive ? "[" : "(") + bound(min) + ", " + bound(max) + (maxInclusive ? "]" : ")");
    }

    private static String bound(final double value) {
        return value == Math.rint(value) ? Long.toString((long)value) : JsonValues.render(value);
    }
}
