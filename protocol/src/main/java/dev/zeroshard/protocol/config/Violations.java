package dev.zeroshard.protocol.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the rules a record's constructor finds broken, then throws them together, so that a
 * record built by hand is held to the same rules, and the same messages, as one read from JSON.
 */
final class Violations {
    private final List<ConfigError> errors = new ArrayList<>();

    Violations check(final String path, final long value, final LongRange range) {
        if (!range.contains(value)) {
            errors.add(new ConfigError(path, Long.toString(value), range.rule()));
        }
        return this;
    }

    Violations check(final String path, final double value, final DoubleRange range) {
        if (!range.contains(value)) {
            errors.add(new ConfigError(path, JsonValues.render(value), range.rule()));
        }
        return this;
    }

    /** Adds {@code path=value: rule} unless {@code holds}. */
    Violations require(final boolean holds, final String path, final String value, final String rule) {
        if (!holds) {
            errors.add(new ConfigError(path, value, rule));
        }
        return this;
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    void throwIfAny() {
        ConfigException.throwIfAny(errors);
    }
}
