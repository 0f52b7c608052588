package dev.zeroshard.protocol.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The state of one resolve call: the errors found so far and the value resolved for each path, in
 * the order the readers resolved them (which is the order {@link ResolvedDeepSpeedConfig#describe()}
 * prints).
 */
final class Resolution {
    private final List<ConfigError> errors = new ArrayList<>();
    private final Map<String, ResolvedValue> values = new LinkedHashMap<>();

    void error(final String path, final String value, final String rule) {
        errors.add(new ConfigError(path, value, rule));
    }

    List<ConfigError> errorSink() {
        return errors;
    }

    int errorCount() {
        return errors.size();
    }

    void value(final String path, final String value, final ResolvedValue.Source source, final String detail) {
        values.put(path, new ResolvedValue(path, value, source, detail));
    }

    /**
     * Builds a record from fields read since {@code errorMark}, unless one of them was already
     * refused (a substituted default would only cause follow-up errors); a {@link ConfigException}
     * from the record's own validation is collected. Returns null when nothing was built.
     */
    <T> T build(final int errorMark, final Supplier<T> construct) {
        if (errors.size() > errorMark) {
            return null;
        }
        try {
            return construct.get();
        } catch (final ConfigException ex) {
            errors.addAll(ex.errors());
            return null;
        }
    }

    void throwIfErrors() {
        ConfigException.throwIfAny(errors);
    }

    List<ResolvedValue> values() {
        return List.copyOf(values.values());
    }
}
