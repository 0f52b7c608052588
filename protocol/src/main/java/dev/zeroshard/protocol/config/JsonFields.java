package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One JSON object of a config file at a dotted path, read key by key into {@link Field}s. Type,
 * range and {@code "auto"} problems are added to the {@link Resolution} as errors, never thrown,
 * so that every problem of a file is reported together. An absent (or wrongly typed) section reads
 * as an empty one: all its fields are absent.
 */
final class JsonFields {
    static final String AUTO_NOT_ALLOWED = "\"auto\" is not allowed here";

    private final Resolution resolution;
    private final String path;
    private final ObjectNode node;

    private JsonFields(final Resolution resolution, final String path, final ObjectNode node) {
        this.resolution = Objects.requireNonNull(resolution, "resolution");
        this.path = Objects.requireNonNull(path, "path");
        this.node = node;
    }

    /** The document's root object. */
    static JsonFields root(final ObjectNode root, final Resolution resolution) {
        return new JsonFields(resolution, "$", Objects.requireNonNull(root, "root"));
    }

    Resolution resolution() {
        return resolution;
    }

    /** True when this section is in the file (and is an object). */
    boolean isPresent() {
        return node != null;
    }

    boolean has(final String key) {
        return node != null && node.has(key);
    }

    /** The key's JSON value, or null when absent. */
    JsonNode raw(final String key) {
        return node == null ? null : node.get(key);
    }

    String pathOf(final String key) {
        return JsonValues.child(path, key);
    }

    /** Adds {@code path.key=<value as written>: rule}. */
    void error(final String key, final String rule) {
        resolution.error(pathOf(key), JsonValues.render(raw(key)), rule);
    }

    /** A nested object; absent, or an error and absent when the value is not an object. */
    JsonFields object(final String key) {
        final JsonNode child = raw(key);
        if (child == null) {
            return new JsonFields(resolution, pathOf(key), null);
        }
        if (!child.isObject()) {
            error(key, JsonValues.isAuto(child) ? AUTO_NOT_ALLOWED : "must be a JSON object");
            return new JsonFields(resolution, pathOf(key), null);
        }
        return new JsonFields(resolution, pathOf(key), (ObjectNode)child);
    }

    /** Refuses keys not in {@code known}, suggesting the closest known key. */
    void rejectUnknownKeys(final Collection<String> known) {
        rejectUnknownKeys(known, Map.of());
    }

    /**
     * Refuses keys not in {@code known}; a key in {@code unsupported} (a DeepSpeed feature zeroshard
     * does not have) is refused with its reason instead of a suggestion.
     */
    void rejectUnknownKeys(final Collection<String> known, final Map<String, String> unsupported) {
        if (node == null) {
            return;
        }
        for (final Map.Entry<String, JsonNode> entry : node.properties()) {
            final String key = entry.getKey();
            if (known.contains(key)) {
                continue;
            }
            final String reason = unsupported.get(key);
            if (reason != null) {
                error(key, reason);
            } else {
                resolution.errorSink().add(JsonValues.unknownKey(pathOf(key), key, entry.getValue(), known));
            }
        }
    }

    Field<Long> integer(final String key, final LongRange range, final boolean autoAllowed) {
        final Field<Long> early = absentOrAuto(key, autoAllowed, Object::toString);
        if (early != null) {
            return early;
        }
        final BigInteger value = JsonValues.integerValue(raw(key), pathOf(key), resolution.errorSink());
        if (value == null) {
            return invalid(key, Object::toString);
        }
        if (value.compareTo(BigInteger.valueOf(range.min())) < 0 || value.compareTo(BigInteger.valueOf(range.max())) > 0) {
            error(key, value.bitLength() < Long.SIZE ? range.rule() : beyond(range));
            return invalid(key, Object::toString);
        }
        return given(key, value.longValueExact(), Object::toString);
    }

    /** The rule for an integer beyond a {@code long}: the range with its upper bound spelt out. */
    private static String beyond(final LongRange range) {
        return "must be an integer between " + range.min() + " and " + range.max();
    }

    /** An integer held in an {@code int}: {@code range} must lie within int's range. */
    Field<Integer> int32(final String key, final LongRange range, final boolean autoAllowed) {
        if (range.min() < Integer.MIN_VALUE || range.max() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(pathOf(key) + ": " + range + " does not fit an int");
        }
        return integer(key, range, autoAllowed).map(Long::intValue, Object::toString);
    }

    Field<Double> number(final String key, final DoubleRange range, final boolean autoAllowed) {
        final Field<Double> early = absentOrAuto(key, autoAllowed, JsonValues::render);
        if (early != null) {
            return early;
        }
        final Double value = JsonValues.doubleValue(raw(key), pathOf(key), resolution.errorSink());
        if (value == null) {
            return invalid(key, JsonValues::render);
        }
        if (!range.contains(value)) {
            error(key, range.rule());
            return invalid(key, JsonValues::render);
        }
        return given(key, value, JsonValues::render);
    }

    Field<Boolean> bool(final String key, final boolean autoAllowed) {
        final Field<Boolean> early = absentOrAuto(key, autoAllowed, Object::toString);
        if (early != null) {
            return early;
        }
        final Boolean value = JsonValues.booleanValue(raw(key), pathOf(key), resolution.errorSink());
        return value == null ? invalid(key, Object::toString) : given(key, value, Object::toString);
    }

    Field<String> string(final String key) {
        final Field<String> early = absentOrAuto(key, false, Function.identity());
        if (early != null) {
            return early;
        }
        final String value = JsonValues.stringValue(raw(key), pathOf(key), resolution.errorSink());
        return value == null ? invalid(key, Function.identity()) : given(key, value, Function.identity());
    }

    /** Free text ({@code output_path}, {@code job_name}): recorded with its quotes, so that {@code ""} shows. */
    Field<String> text(final String key) {
        return string(key).map(Function.identity(), JsonValues::quote);
    }

    /** A string that must be one of {@code options}, spelt exactly. */
    Field<String> choice(final String key, final List<String> options) {
        final Field<String> text = string(key);
        if (text.isGiven() && !options.contains(text.value())) {
            error(key, "must be one of " + String.join(", ", options));
            return invalid(key, Function.identity());
        }
        return text;
    }

    /** A JSON array of exactly two numbers, each in {@code range} ({@code betas}). */
    Field<List<Double>> numberPair(final String key, final DoubleRange range, final boolean autoAllowed) {
        final Field<List<Double>> early = absentOrAuto(key, autoAllowed, JsonFields::renderList);
        if (early != null) {
            return early;
        }
        final JsonNode array = raw(key);
        if (!array.isArray() || array.size() != 2) {
            error(key, "must be an array of 2 numbers");
            return invalid(key, JsonFields::renderList);
        }
        final int before = resolution.errorCount();
        final Double first = element(key, array, 0, range);
        final Double second = element(key, array, 1, range);
        if (resolution.errorCount() > before) {
            return invalid(key, JsonFields::renderList);
        }
        return given(key, List.of(first, second), JsonFields::renderList);
    }

    static String renderList(final List<Double> values) {
        return values.stream().map(JsonValues::render).collect(Collectors.joining(", ", "[", "]"));
    }

    private Double element(final String key, final JsonNode array, final int index, final DoubleRange range) {
        final String elementPath = pathOf(key) + "[" + index + "]";
        final Double value = JsonValues.doubleValue(array.get(index), elementPath, resolution.errorSink());
        if (value != null && !range.contains(value)) {
            resolution.error(elementPath, JsonValues.render(array.get(index)), range.rule());
            return null;
        }
        return value;
    }

    private <T> Field<T> absentOrAuto(
        final String key, final boolean autoAllowed, final Function<? super T, String> format) {
        final JsonNode value = raw(key);
        if (value == null) {
            return new Field<>(resolution, pathOf(key), Field.State.ABSENT, null, format);
        }
        if (JsonValues.isAuto(value)) {
            if (autoAllowed) {
                return new Field<>(resolution, pathOf(key), Field.State.AUTO, null, format);
            }
            error(key, AUTO_NOT_ALLOWED);
            return invalid(key, format);
        }
        return null;
    }

    private <T> Field<T> given(final String key, final T value, final Function<? super T, String> format) {
        return new Field<>(resolution, pathOf(key), Field.State.GIVEN, value, format);
    }

    private <T> Field<T> invalid(final String key, final Function<? super T, String> format) {
        return new Field<>(resolution, pathOf(key), Field.State.INVALID, null, format);
    }
}
