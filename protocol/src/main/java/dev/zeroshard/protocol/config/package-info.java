/**
 * DeepSpeed JSON configs read into typed, validated records, one per concern ({@link
 * dev.zeroshard.protocol.config.BatchConfig}, {@link dev.zeroshard.protocol.config.ZeroConfig},
 * {@link dev.zeroshard.protocol.config.OptimizerConfig}, ...), aggregated by {@link
 * dev.zeroshard.protocol.config.DeepSpeedConfig}. {@link dev.zeroshard.protocol.config.DeepSpeedConfigReader}
 * is the entry point: it applies DeepSpeed's defaults, resolves {@code "auto"} explicitly, refuses
 * unknown keys and unsupported features, and reports every problem of a file at once as a
 * {@link dev.zeroshard.protocol.config.ConfigException} whose errors name the JSON path, the value
 * as written and the rule.
 *
 * <p>Threading: everything here is immutable or confined to one call; all methods are pure
 * functions of their arguments (plus the file read by {@code resolve(Path, ...)}), safe from any
 * thread. Nothing here is on a hot path.
 */
package dev.zeroshard.protocol.config;
