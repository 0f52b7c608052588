package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * The value one config key resolved to, and where it came from.
 *
 * @param path   dotted JSON path ({@code zero_optimization.stage}).
 * @param value  the resolved value as text ({@code 2}, {@code 5e-4}, {@code [0.9, 0.95]}, {@code cpu}).
 * @param source where the value came from.
 * @param detail how it was obtained, for {@link Source#INFERRED} and {@link Source#AUTO} always
 *               ({@code micro_batch(4) * grad_accum(2) * world_size(8)}), otherwise a note or empty.
 */
public record ResolvedValue(String path, String value, Source source, String detail) {
    /** Where a resolved value came from. */
    public enum Source {
        /** Written in the file. */
        FILE,
        /** Absent from the file: DeepSpeed's default. */
        DEFAULT,
        /** Absent from the file: derived from other values, as DeepSpeed derives it. */
        INFERRED,
        /** Written as {@code "auto"} in the file and resolved as {@link #detail()} says. */
        AUTO
    }

    public ResolvedValue {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(detail, "detail");
        if (path.isEmpty()) {
            throw new IllegalArgumentException("path must not be empty");
        }
        if ((source == Source.INFERRED || source == Source.AUTO) && detail.isEmpty()) {
            throw new IllegalArgumentException(path + ": an " + source + " value must say what it came from");
        }
    }

    /** A value with no detail. */
    public ResolvedValue(final String path, final String value, final Source source) {
        this(path, value, source, "");
    }

    /** The source column of {@link ResolvedDeepSpeedConfig#describe()}: {@code (file)}, {@code (auto → ...)}. */
    public String describeSource() {
        return switch (source) {
            case FILE -> detail.isEmpty() ? "(file)" : "(file; " + detail + ")";
            case DEFAULT -> detail.isEmpty() ? "(default)" : "(default; " + detail + ")";
            case INFERRED -> "(inferred from " + detail + ")";
            case AUTO -> "(auto \u2192 " + detail + ")";
        };
    }
}
