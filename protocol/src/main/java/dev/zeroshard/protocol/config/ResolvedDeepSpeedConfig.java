package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A resolved DeepSpeed config and the story of each value: whether the file set it, DeepSpeed's
 * default applied, or it was inferred or resolved from {@code "auto"}, and from what.
 *
 * @param config the typed config.
 * @param values one entry per resolved key, in reading order: batch, precision, optimizer,
 *               scheduler, ZeRO, clipping, monitors, logging, then the keys without effect.
 */
public record ResolvedDeepSpeedConfig(DeepSpeedConfig config, List<ResolvedValue> values) {
    public ResolvedDeepSpeedConfig {
        Objects.requireNonNull(config, "config");
        values = List.copyOf(values);
        final Set<String> paths = new HashSet<>();
        for (final ResolvedValue value : values) {
            if (!paths.add(value.path())) {
                throw new IllegalArgumentException("resolved twice: " + value.path());
            }
        }
    }

    /** The entry for {@code path} ({@code zero_optimization.stage}), if it was resolved. */
    public Optional<ResolvedValue> value(final String path) {
        return values.stream().filter(value -> value.path().equals(path)).findFirst();
    }

    /**
     * A table with one line per resolved key, for people and for the log:
     * <pre>
     * zero_optimization.stage          2          (file)
     * train_batch_size                 16         (auto → micro_batch(1) * grad_accum(4) * world_size(4))
     * </pre>
     */
    public String describe() {
        int pathWidth = 0;
        int valueWidth = 0;
        for (final ResolvedValue value : values) {
            pathWidth = Math.max(pathWidth, value.path().length());
            valueWidth = Math.max(valueWidth, value.value().length());
        }
        final StringBuilder out = new StringBuilder();
        for (final ResolvedValue value : values) {
            out.append(pad(value.path(), pathWidth + 2)).append(pad(value.value(), valueWidth + 2))
                .append(value.describeSource()).append('\n');
        }
        return out.toString();
    }

    /** The resolved config as DeepSpeed JSON: every key explicit, numbers as numbers; a fresh node each call. */
    public ObjectNode toJson() {
        return DeepSpeedJsonWriter.write(config);
    }

    private static String pad(final String text, final int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
