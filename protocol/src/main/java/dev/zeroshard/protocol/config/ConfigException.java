package dev.zeroshard.protocol.config;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A config that cannot be used, with every problem found in it (not only the first), each naming
 * its JSON path, the value as written and the rule. {@link #getMessage()} lists them one per line.
 */
public final class ConfigException extends RuntimeException {
    private final List<ConfigError> errors;

    /** @param errors at least one error, in the order they were found. */
    public ConfigException(final List<ConfigError> errors) {
        this(errors, null);
    }

    /** @param errors at least one error; {@code cause} the I/O or parse failure behind them, or null. */
    public ConfigException(final List<ConfigError> errors, final Throwable cause) {
        super(message(errors), cause);
        this.errors = List.copyOf(errors);
    }

    /** A single error. */
    public ConfigException(final ConfigError error) {
        this(List.of(Objects.requireNonNull(error, "error")));
    }

    /** Throws one exception carrying all of {@code errors}, or returns when there are none. */
    public static void throwIfAny(final List<ConfigError> errors) {
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
    }

    /** The problems, in the order they were found; never empty. */
    public List<ConfigError> errors() {
        return errors;
    }

    private static String message(final List<ConfigError> errors) {
        Objects.requireNonNull(errors, "errors");
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        return errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
    }
}
