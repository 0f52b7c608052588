package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Strict reading of JSON values for config files, shared by every config reader of zeroshard:
 * parsing (duplicate keys and trailing content refused), typed reads that add a {@link ConfigError}
 * instead of throwing, value rendering "as written" for error messages, dotted paths, and unknown
 * keys with a did-you-mean suggestion.
 *
 * <p>Numbers: an integer field accepts any JSON number with an integral value ({@code 5e8},
 * {@code 2.0}) inside its range; {@code 2.5} or a string is refused. Booleans must be JSON booleans.
 */
public final class JsonValues {
    /** The value {@code "auto"} that Hugging Face and DeepSpeed use for "resolve this for me". */
    public static final String AUTO = "auto";

    /** A 64-bit integer as Protobuf's JSON mapping writes it: a string of decimal digits. */
    private static final Pattern DECIMAL_INTEGER = Pattern.compile("-?[0-9]{1,19}");

    /** Longest rendering of an object or array in an error before it is cut. */
    private static final int MAX_RENDERED_CHARS = 80;
    /** 2^53: every integer up to it is a double exactly. */
    private static final double MAX_EXACT_DOUBLE_INTEGER = 9007199254740992.0;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .build();

    private JsonValues() {
    }

    /** Parses a JSON document; a syntax error becomes a {@link ConfigException} at path {@code $}. */
    public static JsonNode readTree(final String json) {
        try {
            return MAPPER.readTree(json);
        } catch (final JacksonException ex) {
            throw new ConfigException(List.of(new ConfigError("$", where(ex.getLocation()),
                "is not valid JSON: " + ex.getOriginalMessage())), ex);
        }
    }

    /** Reads and parses a JSON file; a missing or unreadable file, or bad JSON, names the file. */
    public static JsonNode readTree(final Path file) {
        final String text;
        try {
            text = Files.readString(file);
        } catch (final NoSuchFileException ex) {
            throw new ConfigException(List.of(new ConfigError("$", file.toString(), "no such file")), ex);
        } catch (final IOException ex) {
            throw new ConfigException(List.of(new ConfigError("$", file.toString(),
                "cannot be read: " + ex.getClass().getSimpleName() + ": " + ex.getMessage())), ex);
        }
        try {
            return MAPPER.readTree(text);
        } catch (final JacksonException ex) {
            throw new ConfigException(List.of(new ConfigError("$", file + " " + where(ex.getLocation()),
                "is not valid JSON: " + ex.getOriginalMessage())), ex);
        }
    }

    /** {@code child("zero_optimization", "stage")} is {@code zero_optimization.stage}; {@code $} is the root. */
    public static String child(final String path, final String key) {
        if (path.isEmpty() || "$".equals(path)) {
            return key;
        }
        if ("$".equals(key)) {
            return path;
        }
        return path + "." + key;
    }

    /** True for the JSON string {@code "auto"}. */
    public static boolean isAuto(final JsonNode node) {
        return node != null && node.isTextual() && AUTO.equals(node.textValue());
    }

    /**
     * A value as the user wrote it, for error messages: strings keep their quotes, floating-point
     * numbers read as in JSON ({@code 5e8}, {@code 1e-4}, {@code 0.9}), long objects are cut.
     */
    public static String render(final JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return ConfigError.ABSENT;
        }
        if (node.isFloatingPointNumber()) {
            return node.isBigDecimal() ? node.decimalValue().toString() : render(node.doubleValue());
        }
        final String text = node.toString();
        return text.length() <= MAX_RENDERED_CHARS ? text : text.substring(0, MAX_RENDERED_CHARS - 3) + "...";
    }

    /**
     * A tree read back from a Protobuf {@code Struct}, which keeps every number as a double: integral numbers
     * (within a double's exact integers) become integers again, in place, so that a value the user wrote as
     * {@code 5} is shown as {@code 5}, not {@code 5.0}. Returns {@code node}.
     */
    public static JsonNode integralNumbersAsIntegers(final JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.fields().forEachRemaining(entry -> entry.setValue(integralNumbersAsIntegers(entry.getValue())));
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, integralNumbersAsIntegers(array.get(i)));
            }
        } else if (node != null && node.isFloatingPointNumber()) {
            final double value = node.doubleValue();
            if (value == Math.rint(value) && Math.abs(value) <= MAX_EXACT_DOUBLE_INTEGER) {
                return MAPPER.getNodeFactory().numberNode((long) value);
            }
        }
        return node;
    }

    /** A double as JSON would carry it, shortest form: {@code 0.001}, {@code 1e-8}, {@code 5e8}, {@code 1.0}. */
    public static String render(final double value) {
        final String text = Double.toString(value);
        final int exponent = text.indexOf('E');
        if (exponent < 0) {
            return text;
        }
        String mantissa = text.substring(0, exponent);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        return mantissa + "e" + text.substring(exponent + 1);
    }

    /** A string as a JSON string literal, quotes and escapes included. */
    public static String quote(final String text) {
        return MAPPER.getNodeFactory().textNode(text).toString();
    }

    /** An unknown key and its value, with the closest known key as a suggestion when one is near. */
    public static ConfigError unknownKey(
        final String path, final String key, final JsonNode value, final Collection<String> known) {
        final String suggestion = KeySuggestions.closest(key, known)
            .map(closest -> "; did you mean " + closest + "?")
            .orElse("; known keys here: " + String.join(", ", known));
        return new ConfigError(path, render(value), "unknown key" + suggestion);
    }

    /** An integer in [min, max] written as a JSON number, or null with an error added. */
    public static Integer intValue(
        final JsonNode node, final String path, final int min, final int max, final List<ConfigError> errors) {
        final BigInteger integer = integerValue(node, path, errors);
        return integer == null || !inRange(integer, node, path, min, max, errors) ? null : integer.intValueExact();
    }

    /**
     * An integer in [min, max], or null with an error added. As in Protobuf's JSON mapping, which
     * prints 64-bit integers as strings, a JSON string of decimal digits ({@code "200"}) is accepted
     * too; {@code "abc"} is not. Config readers that want numbers only use the stricter int reads.
     */
    public static Long longValue(
        final JsonNode node, final String path, final long min, final long max, final List<ConfigError> errors) {
        final BigInteger integer = node != null && node.isTextual() && DECIMAL_INTEGER.matcher(node.textValue()).matches()
            ? new BigInteger(node.textValue())
            : integerValue(node, path, errors);
        return integer == null || !inRange(integer, node, path, min, max, errors) ? null : integer.longValueExact();
    }

    private static boolean inRange(final BigInteger integer, final JsonNode node, final String path, final long min,
        final long max, final List<ConfigError> errors) {
        if (integer.compareTo(BigInteger.valueOf(min)) < 0 || integer.compareTo(BigInteger.valueOf(max)) > 0) {
            errors.add(new ConfigError(path, render(node), "must be an integer between " + min + " and " + max));
            return false;
        }
        return true;
    }

    /** Any JSON number with an integral value ({@code 5e8}, {@code 2.0}), unbounded; or null with an error added. */
    static BigInteger integerValue(final JsonNode node, final String path, final List<ConfigError> errors) {
        if (node == null || !node.isNumber() || isNonFinite(node)) {
            errors.add(new ConfigError(path, render(node), "must be an integer"));
            return null;
        }
        final BigDecimal decimal = node.decimalValue();
        if (decimal.signum() != 0 && decimal.stripTrailingZeros().scale() > 0) {
            errors.add(new ConfigError(path, render(node), "must be an integer"));
            return null;
        }
        return decimal.toBigInteger();
    }

    /** A finite JSON number, or null with an error added. */
    public static Double doubleValue(final JsonNode node, final String path, final List<ConfigError> errors) {
        if (node == null || !node.isNumber()) {
            errors.add(new ConfigError(path, render(node), "must be a number"));
            return null;
        }
        final double value = node.doubleValue();
        if (!Double.isFinite(value)) {
            errors.add(new ConfigError(path, render(node), "must be a finite number"));
            return null;
        }
        return value;
    }

    /** A JSON boolean ({@code "true"} and {@code 1} are refused), or null with an error added. */
    public static Boolean booleanValue(final JsonNode node, final String path, final List<ConfigError> errors) {
        if (node == null || !node.isBoolean()) {
            errors.add(new ConfigError(path, render(node), "must be a boolean (true or false)"));
            return null;
        }
        return node.booleanValue();
    }

    /** A JSON string, or null with an error added. */
    public static String stringValue(final JsonNode node, final String path, final List<ConfigError> errors) {
        if (node == null || !node.isTextual()) {
            errors.add(new ConfigError(path, render(node), "must be a string"));
            return null;
        }
        return node.textValue();
    }

    private static boolean isNonFinite(final JsonNode node) {
        return (node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue());
    }

    private static String where(final JsonLocation location) {
        return location == null ? "(unknown position)"
            : "(line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
}
