package dev.zeroshard.protocol.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.JsonValues;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON object into a Protobuf message field by field, so that every problem is reported
 * with its JSON path, the value as written and the rule, and all problems of one document are
 * collected instead of stopping at the first (protobuf-java-util's parser stops at the first and
 * names no path). Accepts both the proto field names ({@code max_steps}) and their lowerCamel JSON
 * names ({@code maxSteps}).
 */
final class ProtoJsonReader {
    private final List<ConfigError> errors;

    ProtoJsonReader(final List<ConfigError> errors) {
        this.errors = errors;
    }

    /** Merges {@code node} into {@code builder}; problems go to the error list. */
    void merge(final JsonNode node, final Message.Builder builder, final String path) {
        if (!node.isObject()) {
            errors.add(new ConfigError(path, JsonValues.render(node), "must be a JSON object"));
            return;
        }
        final Map<String, FieldDescriptor> fieldsByName = fieldsByName(builder);
        final Map<OneofDescriptor, String> oneofSetBy = new HashMap<>();
        node.fields().forEachRemaining(entry -> {
            final String key = entry.getKey();
            final String fieldPath = JsonValues.child(path, key);
            final FieldDescriptor field = fieldsByName.get(key);
            if (field == null) {
                errors.add(JsonValues.unknownKey(fieldPath, key, entry.getValue(), uniqueProtoNames(builder)));
                return;
            }
            final JsonNode value = entry.getValue();
            if (value.isNull()) {
                return;
            }
            final OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null) {
                final String previous = oneofSetBy.putIfAbsent(oneof, key);
                if (previous != null) {
                    errors.add(new ConfigError(fieldPath, JsonValues.render(value),
                        "only one of " + oneofNames(oneof) + " may be set, and " + previous + " already is"));
                    return;
                }
            }
            if (field.isRepeated()) {
                readRepeated(value, builder, field, fieldPath);
            } else {
                final Object converted = convert(value, builder, field, fieldPath);
                if (converted != null) {
                    builder.setField(field, converted);
                }
            }
        });
    }

    private void readRepeated(
        final JsonNode value, final Message.Builder builder, final FieldDescriptor field, final String path) {
        if (!value.isArray()) {
            errors.add(new ConfigError(path, JsonValues.render(value), "must be a JSON array"));
            return;
        }
        for (int i = 0; i < value.size(); i++) {
            final Object converted = convert(value.get(i), builder, field, path + "[" + i + "]");
            if (converted != null) {
                builder.addRepeatedField(field, converted);
            }
        }
    }

    private Object convert(
        final JsonNode value, final Message.Builder builder, final FieldDescriptor field, final String path) {
        final int before = errors.size();
        final Object converted = switch (field.getJavaType()) {
            case INT -> JsonValues.intValue(value, path, Integer.MIN_VALUE, Integer.MAX_VALUE, errors);
            case LONG -> JsonValues.longValue(value, path, Long.MIN_VALUE, Long.MAX_VALUE, errors);
            case DOUBLE -> JsonValues.doubleValue(value, path, errors);
            case BOOLEAN -> JsonValues.booleanValue(value, path, errors);
            case STRING -> JsonValues.stringValue(value, path, errors);
            case MESSAGE -> message(value, builder.newBuilderForField(field), path);
            default -> throw new IllegalStateException("field type not mapped: " + field.getFullName());
        };
        return errors.size() == before ? converted : null;
    }

    private Message message(final JsonNode value, final Message.Builder fieldBuilder, final String path) {
        if (fieldBuilder instanceof Struct.Builder struct) {
            if (!value.isObject()) {
                errors.add(new ConfigError(path, JsonValues.render(value), "must be a JSON object"));
                return null;
            }
            try {
                JsonFormat.parser().merge(value.toString(), struct);
                return struct.build();
            } catch (final InvalidProtocolBufferException ex) {
                errors.add(new ConfigError(path, JsonValues.render(value), "not representable: " + ex.getMessage()));
                return null;
            }
        }
        merge(value, fieldBuilder, path);
        return fieldBuilder.build();
    }

    private static Map<String, FieldDescriptor> fieldsByName(final Message.Builder builder) {
        final Map<String, FieldDescriptor> byName = new HashMap<>();
        for (final FieldDescriptor field : builder.getDescriptorForType().getFields()) {
            byName.put(field.getName(), field);
            byName.put(field.getJsonName(), field);
        }
        return byName;
    }

    private static List<String> uniqueProtoNames(final Message.Builder builder) {
        final List<String> names = new ArrayList<>();
        for (final FieldDescriptor field : builder.getDescriptorForType().getFields()) {
            names.add(field.getName());
        }
        return names;
    }

    private static String oneofNames(final OneofDescriptor oneof) {
        final List<String> names = new ArrayList<>();
        for (final FieldDescriptor field : oneof.getFields()) {
            names.add(field.getName());
        }
        return String.join(", ", names);
    }
}
