package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zeroshard.protocol.config.ResolvedValue.Source;
import dev.zeroshard.protocol.config.ZeroConfig.OffloadDevice;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

import static dev.zeroshard.protocol.config.ZeroConfig.ALLGATHER_BUCKET_SIZE;
import static dev.zeroshard.protocol.config.ZeroConfig.ALLGATHER_PARTITIONS;
import static dev.zeroshard.protocol.config.ZeroConfig.CONTIGUOUS_GRADIENTS;
import static dev.zeroshard.protocol.config.ZeroConfig.OFFLOAD_DEVICE;
import static dev.zeroshard.protocol.config.ZeroConfig.OFFLOAD_OPTIMIZER;
import static dev.zeroshard.protocol.config.ZeroConfig.OFFLOAD_PARAM;
import static dev.zeroshard.protocol.config.ZeroConfig.OVERLAP_COMM;
import static dev.zeroshard.protocol.config.ZeroConfig.REDUCE_BUCKET_SIZE;
import static dev.zeroshard.protocol.config.ZeroConfig.REDUCE_SCATTER;
import static dev.zeroshard.protocol.config.ZeroConfig.STAGE;
import static dev.zeroshard.protocol.config.ZeroConfig.STAGE3_MAX_LIVE_PARAMETERS;
import static dev.zeroshard.protocol.config.ZeroConfig.STAGE3_MAX_REUSE_DISTANCE;
import static dev.zeroshard.protocol.config.ZeroConfig.STAGE3_PARAM_PERSISTENCE_THRESHOLD;
import static dev.zeroshard.protocol.config.ZeroConfig.STAGE3_PREFETCH_BUCKET_SIZE;

/**
 * Reads {@code zero_optimization} with DeepSpeed's defaults. {@code "auto"} bucket sizes follow
 * Hugging Face's rule from the model's hidden size when the context knows it, else DeepSpeed's
 * defaults. DeepSpeed keys without effect here are accepted and listed; keys whose feature would
 * change results and is not implemented are refused when they turn it on.
 */
final class ZeroReader {
    private static final String NO_EFFECT = "no effect in zeroshard";
    private static final String NOT_SUPPORTED = "not supported by zeroshard";

    /** Accepted DeepSpeed keys without effect here, as booleans. */
    private static final List<String> NO_EFFECT_FLAGS = List.of("round_robin_gradients", "ignore_unused_parameters",
        "stage3_gather_16bit_weights_on_model_save", "elastic_checkpoint", "load_from_fp32_weights");
    private static final String SUB_GROUP_SIZE = "sub_group_size";
    private static final String ZERO_QUANTIZED_WEIGHTS = "zero_quantized_weights";
    private static final String ZERO_QUANTIZED_GRADIENTS = "zero_quantized_gradients";
    private static final String ZERO_HPZ_PARTITION_SIZE = "zero_hpz_partition_size";
    private static final String MICS_SHARD_SIZE = "mics_shard_size";
    private static final String CPU_OFFLOAD = "cpu_offload";
    private static final List<String> KEYS = List.of(STAGE, REDUCE_BUCKET_SIZE, ALLGATHER_BUCKET_SIZE, OVERLAP_COMM,
        CONTIGUOUS_GRADIENTS, REDUCE_SCATTER, ALLGATHER_PARTITIONS, OFFLOAD_OPTIMIZER, OFFLOAD_PARAM,
        STAGE3_PREFETCH_BUCKET_SIZE, STAGE3_PARAM_PERSISTENCE_THRESHOLD, STAGE3_MAX_LIVE_PARAMETERS,
        STAGE3_MAX_REUSE_DISTANCE, SUB_GROUP_SIZE, "round_robin_gradients", "ignore_unused_parameters",
        "stage3_gather_16bit_weights_on_model_save", "elastic_checkpoint", "load_from_fp32_weights",
        ZERO_QUANTIZED_WEIGHTS, ZERO_QUANTIZED_GRADIENTS, ZERO_HPZ_PARTITION_SIZE, MICS_SHARD_SIZE, CPU_OFFLOAD);

    private static final String PIN_MEMORY = "pin_memory";
    private static final String RATIO = "ratio";
    /** DeepSpeed's offload keys that only matter for NVMe, which is refused: accepted, no effect. */
    private static final List<String> NVME_ONLY_KEYS = List.of("nvme_path", "buffer_count", "buffer_size", "max_in_cpu",
        "pipeline_read", "pipeline_write", "fast_init");
    private static final List<String> OFFLOAD_KEYS = List.of(OFFLOAD_DEVICE, PIN_MEMORY, RATIO, "nvme_path",
        "buffer_count", "buffer_size", "max_in_cpu", "pipeline_read", "pipeline_write", "fast_init");
    private static final List<String> DEVICES = List.of("none", "cpu");

    private ZeroReader() {
    }

    /** The ZeRO config, or null when an error was recorded. */
    static ZeroConfig read(final JsonFields root, final ResolveContext context) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final JsonFields zero = root.object(ZeroConfig.SECTION);
        zero.rejectUnknownKeys(KEYS);
        final AutoSizes auto = AutoSizes.of(context.hiddenSize());

        final int stage = zero.int32(STAGE, ZeroConfig.STAGE_RANGE, false).orDefault(ZeroConfig.STAGE_DEFAULT);
        final long reduceBucket = zero.integer(REDUCE_BUCKET_SIZE, ZeroConfig.BUCKET_RANGE, true)
            .orAuto(ZeroConfig.REDUCE_BUCKET_SIZE_DEFAULT, auto.reduceBucket(), auto.reduceBucketWhy());
        final long allgatherBucket = zero.integer(ALLGATHER_BUCKET_SIZE, ZeroConfig.BUCKET_RANGE, false)
            .orDefault(ZeroConfig.ALLGATHER_BUCKET_SIZE_DEFAULT);
        final boolean overlapComm = zero.bool(OVERLAP_COMM, false).orDefault(ZeroConfig.overlapCommDefault(stage),
            stage == 3 ? "DeepSpeed turns it on for stage 3" : "");
        final boolean contiguous = zero.bool(CONTIGUOUS_GRADIENTS, false)
            .orDefault(ZeroConfig.CONTIGUOUS_GRADIENTS_DEFAULT);
        final boolean reduceScatter = zero.bool(REDUCE_SCATTER, false).orDefault(ZeroConfig.REDUCE_SCATTER_DEFAULT);
        final boolean allgatherPartitions = zero.bool(ALLGATHER_PARTITIONS, false)
            .orDefault(ZeroConfig.ALLGATHER_PARTITIONS_DEFAULT);
        final OffloadDevice offloadOptimizer = offload(zero.object(OFFLOAD_OPTIMIZER));
        final OffloadDevice offloadParam = offload(zero.object(OFFLOAD_PARAM));

        final long prefetch = zero.integer(STAGE3_PREFETCH_BUCKET_SIZE, ZeroConfig.STAGE3_RANGE, true)
            .orAuto(ZeroConfig.STAGE3_PREFETCH_BUCKET_SIZE_DEFAULT, auto.prefetchBucket(), auto.prefetchBucketWhy());
        final long persistence = zero.integer(STAGE3_PARAM_PERSISTENCE_THRESHOLD, ZeroConfig.STAGE3_RANGE, true)
            .orAuto(ZeroConfig.STAGE3_PARAM_PERSISTENCE_THRESHOLD_DEFAULT, auto.persistence(), auto.persistenceWhy());
        final long maxLive = zero.integer(STAGE3_MAX_LIVE_PARAMETERS, ZeroConfig.STAGE3_RANGE, false)
            .orDefault(ZeroConfig.STAGE3_MAX_LIVE_PARAMETERS_DEFAULT);
        final long maxReuse = zero.integer(STAGE3_MAX_REUSE_DISTANCE, ZeroConfig.STAGE3_RANGE, false)
            .orDefault(ZeroConfig.STAGE3_MAX_REUSE_DISTANCE_DEFAULT);

        readNoEffectKeys(zero);
        refuseUnsupportedFeatures(zero);
        return resolution.build(mark, () -> new ZeroConfig(stage, reduceBucket, allgatherBucket, overlapComm, contiguous,
            reduceScatter, allgatherPartitions, offloadOptimizer, offloadParam, prefetch, persistence, maxLive, maxReuse));
    }

    /** An {@code offload_optimizer} or {@code offload_param} object: its device, with {@code none} when absent. */
    private static OffloadDevice offload(final JsonFields offload) {
        offload.rejectUnknownKeys(OFFLOAD_KEYS);
        final JsonNode deviceNode = offload.raw(OFFLOAD_DEVICE);
        if (deviceNode != null && "nvme".equals(deviceNode.textValue())) {
            offload.error(OFFLOAD_DEVICE, "nvme offload is not supported; use cpu");
            return OffloadDevice.NONE;
        }
        final String device = offload.choice(OFFLOAD_DEVICE, DEVICES).orDefault(OffloadDevice.NONE.jsonName());
        offload.bool(PIN_MEMORY, false).orDefault(false);
        final Field<Double> ratio = offload.number(RATIO, DoubleRange.UNIT, false);
        if (ratio.isGiven() && ratio.value() != 1.0) {
            offload.error(RATIO, "partial optimizer offload is " + NOT_SUPPORTED + "; use 1.0");
        } else if (ratio.isGiven()) {
            ratio.record(ratio.value(), Source.FILE, "");
        }
        for (final String key : NVME_ONLY_KEYS) {
            if (offload.has(key)) {
                offload.resolution().value(offload.pathOf(key), JsonValues.render(offload.raw(key)), Source.FILE,
                    "used only with nvme; " + NO_EFFECT);
            }
        }
        return OffloadDevice.valueOf(device.toUpperCase(Locale.ROOT));
    }

    private static void readNoEffectKeys(final JsonFields zero) {
        final Field<Long> subGroup = zero.integer(SUB_GROUP_SIZE, LongRange.atLeast(0), false);
        if (subGroup.isGiven()) {
            subGroup.record(subGroup.value(), Source.FILE, NO_EFFECT);
        }
        for (final String key : NO_EFFECT_FLAGS) {
            final Field<Boolean> flag = zero.bool(key, false);
            if (flag.isGiven()) {
                flag.record(flag.value(), Source.FILE, NO_EFFECT);
            }
        }
    }

    /** Keys whose DeepSpeed feature changes results: accepted only at the value that leaves it off. */
    private static void refuseUnsupportedFeatures(final JsonFields zero) {
        for (final Map.Entry<String, String> flag : List.of(
            Map.entry(ZERO_QUANTIZED_WEIGHTS, "ZeRO++ quantized weights are " + NOT_SUPPORTED),
            Map.entry(ZERO_QUANTIZED_GRADIENTS, "ZeRO++ quantized gradients are " + NOT_SUPPORTED),
            Map.entry(CPU_OFFLOAD, NOT_SUPPORTED + " (a deprecated DeepSpeed key); use offload_optimizer.device cpu"))) {
            final Field<Boolean> field = zero.bool(flag.getKey(), false);
            if (field.isGiven() && field.value()) {
                zero.error(flag.getKey(), flag.getValue());
            } else if (field.isGiven()) {
                field.record(false, Source.FILE, NO_EFFECT);
            }
        }
        final Field<Long> hpz = zero.integer(ZERO_HPZ_PARTITION_SIZE, LongRange.atLeast(0), false);
        if (hpz.isGiven() && hpz.value() > 1) {
            zero.error(ZERO_HPZ_PARTITION_SIZE, "ZeRO++ hierarchical partitioning is " + NOT_SUPPORTED + "; use 1");
        } else if (hpz.isGiven()) {
            hpz.record(hpz.value(), Source.FILE, NO_EFFECT);
        }
        final Field<Long> mics = zero.integer(MICS_SHARD_SIZE, LongRange.of(-1, Long.MAX_VALUE), false);
        if (mics.isGiven() && mics.value() > 0) {
            zero.error(MICS_SHARD_SIZE, "MiCS sharding is " + NOT_SUPPORTED + "; use -1");
        } else if (mics.isGiven()) {
            mics.record(mics.value(), Source.FILE, NO_EFFECT);
        }
    }

    /**
     * What {@code "auto"} bucket sizes resolve to: Hugging Face's rule from the hidden size h
     * (h², floor(0.9·h²), 10·h) when the context knows it, else DeepSpeed's defaults.
     */
    private record AutoSizes(long reduceBucket, String reduceBucketWhy, long prefetchBucket, String prefetchBucketWhy,
        long persistence, String persistenceWhy) {
        static AutoSizes of(final OptionalInt hiddenSize) {
            if (hiddenSize.isEmpty()) {
                final String why = "DeepSpeed's default: hidden size unknown";
                return new AutoSizes(ZeroConfig.REDUCE_BUCKET_SIZE_DEFAULT, why,
                    ZeroConfig.STAGE3_PREFETCH_BUCKET_SIZE_DEFAULT, why,
                    ZeroConfig.STAGE3_PARAM_PERSISTENCE_THRESHOLD_DEFAULT, why);
            }
            final int hidden = hiddenSize.getAsInt();
            final long square = (long)hidden * hidden;
            final String h = "hidden_size(" + hidden + ")";
            return new AutoSizes(square, h + "^2", square * 9 / 10, "floor(0.9 * " + h + "^2)", 10L * hidden, "10 * " + h);
        }
    }
}
