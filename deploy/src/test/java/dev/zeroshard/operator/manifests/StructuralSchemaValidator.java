package dev.zeroshard.operator.manifests;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks a custom resource against its CRD's {@code openAPIV3Schema} as the API server does for a structural
 * schema, so that an example that a cluster would refuse fails here first. Covered: {@code type},
 * {@code properties}, {@code required}, unknown fields (refused, as {@code kubectl apply}'s strict field
 * validation does, unless {@code x-kubernetes-preserve-unknown-fields} or {@code additionalProperties} allows
 * them), {@code additionalProperties} as a schema, {@code items}, {@code pattern}, {@code enum},
 * {@code minimum}/{@code maximum} (and their exclusive forms), {@code minLength}/{@code maxLength},
 * {@code minItems}/{@code maxItems}, {@code nullable}, {@code x-kubernetes-int-or-string} and {@code anyOf}.
 * At the root, {@code apiVersion}, {@code kind} and {@code metadata} are implicit, as in Kubernetes, and
 * {@code metadata.name} must be a DNS subdomain. Not covered: CEL rules ({@code x-kubernetes-validations}),
 * {@code format}, defaulting and list-type/map-type uniqueness.
 */
final class StructuralSchemaValidator {
    private static final Set<String> IMPLICIT_ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final int DNS_SUBDOMAIN_MAX_LENGTH = 253;

    private final JsonNode rootSchema;

    StructuralSchemaValidator(final JsonNode openApiV3Schema) {
        this.rootSchema = openApiV3Schema;
    }

    /** The validator of version {@code version} of a CRD document. */
    static StructuralSchemaValidator forCrd(final JsonNode crd, final String version) {
        for (final JsonNode served : crd.path("spec").path("versions")) {
            if (served.path("name").asText().equals(version)) {
                final JsonNode schema = served.path("schema").path("openAPIV3Schema");
                if (!schema.isObject()) {
                    throw new IllegalArgumentException("CRD " + crd.path("metadata").path("name").asText()
                        + " version " + version + " has no openAPIV3Schema");
                }
                return new StructuralSchemaValidator(schema);
            }
        }
        throw new IllegalArgumentException("CRD " + crd.path("metadata").path("name").asText()
            + " has no version " + version);
    }

    /** Every violation in {@code resource}, as "path: problem"; empty when the API server would accept it. */
    List<String> validate(final JsonNode resource) {
        final List<String> errors = new ArrayList<>();
        if (!resource.isObject()) {
            errors.add("(root): must be of type object, got " + describe(resource));
            return errors;
        }
        validateMetadata(resource.path("metadata"), errors);
        validateObject(rootSchema, resource, "", errors, IMPLICIT_ROOT_FIELDS);
        return errors;
    }

    private static void validateMetadata(final JsonNode metadata, final List<String> errors) {
        if (!metadata.isObject()) {
            errors.add("metadata: required, an object with at least a name");
            return;
        }
        final JsonNode name = metadata.path("name");
        if (!name.isTextual()) {
            errors.add("metadata.name: required");
        } else if (name.asText().length() > DNS_SUBDOMAIN_MAX_LENGTH || !DNS_SUBDOMAIN.matcher(name.asText()).matches()) {
            errors.add("metadata.name: " + describe(name) + " is not a DNS subdomain (lower-case letters, digits, '-' "
                + "and '.', at most " + DNS_SUBDOMAIN_MAX_LENGTH + " characters)");
        }
    }

    private void validate(final JsonNode schema, final JsonNode value, final String path, final List<String> errors) {
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean(false)) {
                errors.add(at(path) + ": must not be null");
            }
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!isInteger(value) && !value.isTextual()) {
                errors.add(at(path) + ": must be an integer or a string, got " + describe(value));
            }
            return;
        }
        if (schema.has("anyOf") && !matchesAny(schema.path("anyOf"), value, path)) {
            errors.add(at(path) + ": matches none of the schemas of anyOf, got " + describe(value));
            return;
        }
        final String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> validateObject(schema, value, path, errors, Set.of());
            case "array" -> validateArray(schema, value, path, errors);
            case "string" -> validateString(schema, value, path, errors);
            case "integer" -> validateNumber(schema, value, path, errors, true);
            case "number" -> validateNumber(schema, value, path, errors, false);
            case "boolean" -> {
                if (!value.isBoolean()) {
                    errors.add(at(path) + ": must be of type boolean, got " + describe(value));
                }
            }
            case "" -> {
                // no type: only x-kubernetes-preserve-unknown-fields allows this in a structural schema,
                // and then any value goes
                if (!schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                    errors.add(at(path) + ": the schema names no type (not a structural schema)");
                }
            }
            default -> errors.add(at(path) + ": the schema names an unknown type '" + type + "'");
        }
        validateEnum(schema, value, path, errors);
    }

    private void validateObject(final JsonNode schema, final JsonNode value, final String path,
        final List<String> errors, final Set<String> implicitFields) {
        if (!value.isObject()) {
            errors.add(at(path) + ": must be of type object, got " + describe(value));
            return;
        }
        for (final JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                errors.add(child(path, required.asText()) + ": required");
            }
        }
        final JsonNode properties = schema.path("properties");
        final JsonNode additional = schema.path("additionalProperties");
        final boolean preserveUnknown = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
            || additional.asBoolean(false);
        final Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
        while (fields.hasNext()) {
            final Map.Entry<String, JsonNode> field = fields.next();
            final String fieldPath = child(path, field.getKey());
            if (properties.has(field.getKey())) {
                validate(properties.get(field.getKey()), field.getValue(), fieldPath, errors);
            } else if (additional.isObject()) {
                validate(additional, field.getValue(), fieldPath, errors);
            } else if (!preserveUnknown && !implicitFields.contains(field.getKey())) {
                final Set<String> known = new TreeSet<>();
                properties.fieldNames().forEachRemaining(known::add);
                errors.add(fieldPath + ": unknown field" + (known.isEmpty() ? "" : " (known here: "
                    + String.join(", ", known) + ")"));
            }
        }
    }

    private void validateArray(final JsonNode schema, final JsonNode value, final String path, final List<String> errors) {
        if (!value.isArray()) {
            errors.add(at(path) + ": must be of type array, got " + describe(value));
            return;
        }
        if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
            errors.add(at(path) + ": has " + value.size() + " items, fewer than minItems " + schema.get("minItems").asInt());
        }
        if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
            errors.add(at(path) + ": has " + value.size() + " items, more than maxItems " + schema.get("maxItems").asInt());
        }
        final JsonNode items = schema.path("items");
        for (int i = 0; i < value.size(); i++) {
            if (items.isObject()) {
                validate(items, value.get(i), path + "[" + i + "]", errors);
            }
        }
    }

    private static void validateString(final JsonNode schema, final JsonNode value, final String path,
        final List<String> errors) {
        if (!value.isTextual()) {
            errors.add(at(path) + ": must be of type string, got " + describe(value));
            return;
        }
        final String text = value.asText();
        if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(text).find()) {
            errors.add(at(path) + ": " + describe(value) + " does not match the pattern " + schema.get("pattern").asText());
        }
        final int length = text.codePointCount(0, text.length());
        if (schema.has("minLength") && length < schema.get("minLength").asInt()) {
            errors.add(at(path) + ": " + describe(value) + " is shorter than minLength " + schema.get("minLength").asInt());
        }
        if (schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
            errors.add(at(path) + ": " + describe(value) + " is longer than maxLength " + schema.get("maxLength").asInt());
        }
    }

    private static void validateNumber(final JsonNode schema, final JsonNode value, final String path,
        final List<String> errors, final boolean integer) {
        if (integer ? !isInteger(value) : !value.isNumber()) {
            errors.add(at(path) + ": must be of type " + (integer ? "integer" : "number") + ", got " + describe(value));
            return;
        }
        final BigDecimal number = value.decimalValue();
        if (schema.has("minimum")) {
            final BigDecimal minimum = schema.get("minimum").decimalValue();
            final boolean exclusive = schema.path("exclusiveMinimum").asBoolean(false);
            final int compared = number.compareTo(minimum);
            if (compared < 0 || exclusive && compared == 0) {
                errors.add(at(path) + ": " + value + " is below the " + (exclusive ? "exclusive " : "") + "minimum "
                    + minimum.stripTrailingZeros().toPlainString());
            }
        }
        if (schema.has("maximum")) {
            final BigDecimal maximum = schema.get("maximum").decimalValue();
            final boolean exclusive = schema.path("exclusiveMaximum").asBoolean(false);
            final int compared = number.compareTo(maximum);
            if (compared > 0 || exclusive && compared == 0) {
                errors.add(at(path) + ": " + value + " is above the " + (exclusive ? "exclusive " : "") + "maximum "
                    + maximum.stripTrailingZeros().toPlainString());
            }
        }
    }

    private static void validateEnum(final JsonNode schema, final JsonNode value, final String path,
        final List<String> errors) {
        final JsonNode allowed = schema.path("enum");
        if (!allowed.isArray()) {
            return;
        }
        for (final JsonNode option : allowed) {
            if (option.equals(value)) {
                return;
            }
        }
        errors.add(at(path) + ": " + describe(value) + " is not one of " + allowed);
    }

    private boolean matchesAny(final JsonNode schemas, final JsonNode value, final String path) {
        for (final JsonNode schema : schemas) {
            final List<String> errors = new ArrayList<>();
            validate(schema, value, path, errors);
            if (errors.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** JSON integers, and numbers with an integral value (the API server accepts 2.0 for an integer too). */
    private static boolean isInteger(final JsonNode value) {
        if (value.isIntegralNumber()) {
            return true;
        }
        if (!value.isNumber()) {
            return false;
        }
        final BigDecimal decimal = value.decimalValue();
        return decimal.signum() == 0 || decimal.stripTrailingZeros().scale() <= 0;
    }

    private static String describe(final JsonNode value) {
        final String type;
        if (value.isTextual()) {
            type = "string";
        } else if (value.isIntegralNumber()) {
            type = "integer";
        } else if (value.isNumber()) {
            type = "number";
        } else if (value.isBoolean()) {
            type = "boolean";
        } else if (value.isArray()) {
            type = "array";
        } else if (value.isObject()) {
            return "object";
        } else {
            type = "null";
        }
        return type + " " + value;
    }

    private static String child(final String path, final String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private static String at(final String path) {
        return path.isEmpty() ? "(root)" : path;
    }
}
