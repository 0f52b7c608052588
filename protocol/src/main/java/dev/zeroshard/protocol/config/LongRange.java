package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * The allowed values of an integer field, inclusive; its {@link #rule()} is the text of the error
 * when a value falls outside. One instance per field, shared by the reader and the record that
 * validates the field, so the rule is written once.
 */
record LongRange(long min, long max, String note) {
    LongRange {
        Objects.requireNonNull(note, "note");
        if (min > max) {
            throw new IllegalArgumentException("min=" + min + " > max=" + max);
        }
    }

    static LongRange of(final long min, final long max) {
        return new LongRange(min, max, "");
    }

    /** [min, Long.MAX_VALUE]. */
    static LongRange atLeast(final long min) {
        return new LongRange(min, Long.MAX_VALUE, "");
    }

    /** [min, Integer.MAX_VALUE]: for fields held in an {@code int}. */
    static LongRange intAtLeast(final long min) {
        return new LongRange(min, Integer.MAX_VALUE, "");
    }

    /** The same range with a reason appended to its rule. */
    LongRange because(final String reason) {
        return new LongRange(min, max, reason);
    }

    boolean contains(final long value) {
        return value >= min && value <= max;
    }

    String rule() {
        final String bounds = max == Long.MAX_VALUE
            ? "must be an integer >= " + min
            : "must be an integer between " + min + " and " + max;
        return note.isEmpty() ? bounds : bounds + " (" + note + ")";
    }
}
