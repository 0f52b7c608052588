package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads the JSON config users bring from DeepSpeed into a {@link ResolvedDeepSpeedConfig}: typed,
 * validated, with DeepSpeed's defaults applied, {@code "auto"} resolved against a {@link
 * ResolveContext}, and every value's source recorded.
 *
 * <p>Stricter than DeepSpeed: unknown keys are refused (with a did-you-mean), so are features
 * zeroshard does not implement, and any place DeepSpeed would silently round (a batch size that
 * does not divide) is an error showing the arithmetic. All problems of a file are reported together
 * in one {@link ConfigException}.
 */
public final class DeepSpeedConfigReader {
    /** Top-level DeepSpeed keys of features zeroshard does not have, refused by name rather than as typos. */
    private static final Map<String, String> UNSUPPORTED_SECTIONS = Map.ofEntries(
        Map.entry("amp", "not supported by zeroshard; use bf16"),
        Map.entry("activation_checkpointing", "not supported by zeroshard"),
        Map.entry("aio", "not supported by zeroshard (NVMe offload is not available)"),
        Map.entry("pipeline", "not supported by zeroshard: data parallelism only"),
        Map.entry("elasticity", "not supported by zeroshard"),
        Map.entry("autotuning", "not supported by zeroshard"),
        Map.entry("sparse_attention", "not supported by zeroshard"),
        Map.entry("compression_training", "not supported by zeroshard"),
        Map.entry("data_efficiency", "not supported by zeroshard"),
        Map.entry("curriculum_learning", "not supported by zeroshard"),
        Map.entry("comet", "not supported by zeroshard; use csv_monitor"));

    private static final List<String> TOP_LEVEL_KEYS = topLevelKeys();

    private DeepSpeedConfigReader() {
    }

    /** Resolves a parsed DeepSpeed config for a world size. */
    public static ResolvedDeepSpeedConfig resolve(final JsonNode root, final ResolveContext context) {
        Objects.requireNonNull(context, "context");
        if (root == null || !root.isObject()) {
            throw new ConfigException(new ConfigError("$", JsonValues.render(root), "must be a JSON object"));
        }
        final Resolution resolution = new Resolution();
        final JsonFields fields = JsonFields.root((ObjectNode)root, resolution);
        fields.rejectUnknownKeys(TOP_LEVEL_KEYS, UNSUPPORTED_SECTIONS);

        final BatchConfig batch = BatchReader.read(fields, context);
        final PrecisionConfig precision = PrecisionReader.read(fields);
        final OptimizerConfig optimizer = OptimizerReader.read(fields);
        final double optimizerLr = optimizer == null ? OptimizerConfig.LR_DEFAULT : optimizer.lr();
        final SchedulerConfig scheduler = SchedulerReader.read(fields, optimizerLr, context);
        final ZeroConfig zero = ZeroReader.read(fields, context);
        final GradientClipping clipping = GlobalOptionsReader.gradientClipping(fields);
        final MonitorConfig monitor = MonitorReader.monitor(fields);
        final LoggingConfig logging = MonitorReader.logging(fields);
        GlobalOptionsReader.read(fields);
        resolution.throwIfErrors();

        final DeepSpeedConfig config =
            new DeepSpeedConfig(batch, zero, precision, optimizer, scheduler, clipping, monitor, logging);
        return new ResolvedDeepSpeedConfig(config, resolution.values());
    }

    /** Parses and resolves a DeepSpeed config; JSON syntax errors are reported at path {@code $}. */
    public static ResolvedDeepSpeedConfig resolve(final String json, final ResolveContext context) {
        return resolve(JsonValues.readTree(json), context);
    }

    /** Reads, parses and resolves a DeepSpeed config file; a missing or unreadable file is named in the error. */
    public static ResolvedDeepSpeedConfig resolve(final Path file, final ResolveContext context) {
        return resolve(JsonValues.readTree(file), context);
    }

    private static List<String> topLevelKeys() {
        final List<String> keys = new ArrayList<>(List.of(
            BatchConfig.TRAIN_BATCH_SIZE, BatchConfig.MICRO_BATCH_PER_GPU, BatchConfig.GRADIENT_ACCUMULATION_STEPS,
            PrecisionConfig.BF16, PrecisionConfig.BF16_ALIAS, PrecisionConfig.FP16,
            OptimizerConfig.SECTION, SchedulerConfig.SECTION, ZeroConfig.SECTION, GradientClipping.KEY,
            MonitorConfig.TENSORBOARD, MonitorConfig.CSV_MONITOR,
            LoggingConfig.STEPS_PER_PRINT, LoggingConfig.WALL_CLOCK_BREAKDOWN));
        keys.addAll(GlobalOptionsReader.KEYS);
        return List.copyOf(keys);
    }
}
