package dev.zeroshard.sharding.aeron;

import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Reads the system properties behind the data plane's settings ({@link TransportConfig}, the collectives'
 * {@code CommSettings}), with Aeron's notations: sizes as {@code 4m}, {@code 64k} or plain bytes, durations as
 * {@code 2s}, {@code 500ms}, {@code 100us} or plain nanoseconds. A malformed value throws a {@link ConfigException}
 * naming the property, the value and the expected form.
 */
public final class PropertyValues {
    private PropertyValues() {
    }

    /** The property as a size in bytes (or a count), or {@code defaultValue} when unset. */
    public static int intValue(final String name, final int defaultValue) {
        final String value = System.getProperty(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Math.toIntExact(parseSize(value));
        } catch (final NumberFormatException | ArithmeticException ex) {
            throw new ConfigException(new ConfigError(name, value,
                "must be an integer below 2^31, optionally with k, m or g"));
        }
    }

    /** The property as a size in bytes, or {@code defaultValue} when unset. */
    public static long longValue(final String name, final long defaultValue) {
        final String value = System.getProperty(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return parseSize(value);
        } catch (final NumberFormatException | ArithmeticException ex) {
            throw new ConfigException(new ConfigError(name, value, "must be an integer, optionally with k, m or g"));
        }
    }

    /** The property as a duration in nanoseconds, or {@code defaultValueNs} when unset. */
    public static long durationNs(final String name, final long defaultValueNs) {
        final String value = System.getProperty(name);
        if (value == null) {
            return defaultValueNs;
        }
        try {
            return parseDurationNs(value);
        } catch (final NumberFormatException | ArithmeticException ex) {
            throw new ConfigException(new ConfigError(name, value, "must be a duration such as 500ms, 2s or 100us"));
        }
    }

    /** The property as a constant of {@code type} (case-insensitive, '-' for '_'), or the default when unset. */
    public static <E extends Enum<E>> E enumValue(final String name, final Class<E> type, final E defaultValue) {
        final String value = System.getProperty(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (final IllegalArgumentException ex) {
            throw new ConfigException(new ConfigError(name, value,
                "must be one of " + Arrays.toString(type.getEnumConstants())));
        }
    }

    /** {@code 4m} → 4194304, {@code 64k} → 65536, {@code 1MiB} → 1048576, {@code 123} → 123 (binary multiples). */
    public static long parseSize(final String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.endsWith("ib")) {
            value = value.substring(0, value.length() - 2);
        } else if (value.endsWith("b")) {
            value = value.substring(0, value.length() - 1);
        }
        if (value.isEmpty()) {
            throw new NumberFormatException("empty size: '" + text + "'");
        }
        final char last = value.charAt(value.length() - 1);
        final long multiplier;
        switch (last) {
            case 'k':
                multiplier = 1L << 10;
                break;
            case 'm':
                multiplier = 1L << 20;
                break;
            case 'g':
                multiplier = 1L << 30;
                break;
            default:
                multiplier = 1;
        }
        final String digits = multiplier == 1 ? value : value.substring(0, value.length() - 1);
        return Math.multiplyExact(Long.parseLong(digits.trim()), multiplier);
    }

    /** {@code 2s}, {@code 500ms}, {@code 100us}, {@code 10ns}; a bare number is nanoseconds, as in Aeron. */
    public static long parseDurationNs(final String text) {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.endsWith("ns")) {
            return Long.parseLong(value.substring(0, value.length() - 2));
        }
        if (value.endsWith("us")) {
            return TimeUnit.MICROSECONDS.toNanos(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        if (value.endsWith("ms")) {
            return TimeUnit.MILLISECONDS.toNanos(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        if (value.endsWith("s")) {
            return TimeUnit.SECONDS.toNanos(Long.parseLong(value.substring(0, value.length() - 1)));
        }
        return Long.parseLong(value);
    }
}
