package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * One violated rule in a config file.
 *
 * @param path  dotted JSON path as the user sees it ({@code zero_optimization.stage},
 *              {@code optimizer.params.betas[1]}), or {@code $} for the document itself.
 * @param value the value as written in the JSON ({@code "2"} keeps its quotes, {@code 5e8} reads
 *              {@code 5e8}), or {@link #ABSENT} for a key the file does not contain.
 * @param rule  what the value must satisfy, with the arithmetic where there is any.
 */
public record ConfigError(String path, String value, String rule) {
    /** The {@link #value()} of an error about a key the file does not contain. */
    public static final String ABSENT = "(absent)";

    public ConfigError {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(rule, "rule");
        if (path.isEmpty()) {
            throw new IllegalArgumentException("path must not be empty; the document itself is $");
        }
        if (rule.isEmpty()) {
            throw new IllegalArgumentException("rule must not be empty: path=" + path);
        }
    }

    /** {@code train_batch_size=96: must equal micro_batch(4) * grad_accum(8) * world_size(4) = 128}. */
    @Override
    public String toString() {
        return path + "=" + value + ": " + rule;
    }
}
