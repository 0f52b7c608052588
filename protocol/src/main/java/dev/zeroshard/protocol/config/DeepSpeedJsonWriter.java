package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Writes a {@link DeepSpeedConfig} back as DeepSpeed JSON with every key explicit and numbers as
 * JSON numbers, so that reading the result again at the same {@link ResolveContext} gives an equal
 * config. Keys without effect in zeroshard are not written. Without a scheduler there is no
 * {@code scheduler} section, as in DeepSpeed.
 */
final class DeepSpeedJsonWriter {
    private DeepSpeedJsonWriter() {
    }

    static ObjectNode write(final DeepSpeedConfig config) {
        final ObjectNode root = JsonNodeFactory.instance.objectNode();
        final BatchConfig batch = config.batch();
        root.put(BatchConfig.TRAIN_BATCH_SIZE, batch.trainBatchSize());
        root.put(BatchConfig.MICRO_BATCH_PER_GPU, batch.microBatchPerGpu());
        root.put(BatchConfig.GRADIENT_ACCUMULATION_STEPS, batch.gradientAccumulationSteps());
        root.putObject(PrecisionConfig.BF16).put(PrecisionConfig.ENABLED, config.precision().bf16());
        root.putObject(PrecisionConfig.FP16).put(PrecisionConfig.ENABLED, false);
        writeOptimizer(root.putObject(OptimizerConfig.SECTION), config.optimizer());
        writeScheduler(root, config.scheduler());
        writeZero(root.putObject(ZeroConfig.SECTION), config.zero());
        root.put(GradientClipping.KEY, config.gradientClipping().maxNorm());
        writeTarget(root.putObject(MonitorConfig.TENSORBOARD), config.monitor().tensorboard());
        writeTarget(root.putObject(MonitorConfig.CSV_MONITOR), config.monitor().csvMonitor());
        root.put(LoggingConfig.STEPS_PER_PRINT, config.logging().stepsPerPrint());
        root.put(LoggingConfig.WALL_CLOCK_BREAKDOWN, config.logging().wallClockBreakdown());
        return root;
    }

    private static void writeOptimizer(final ObjectNode section, final OptimizerConfig optimizer) {
        section.put(OptimizerConfig.TYPE, optimizer.type().jsonName());
        final ObjectNode params = section.putObject(OptimizerConfig.PARAMS);
        params.put(OptimizerConfig.LR, optimizer.lr());
        params.putArray(OptimizerConfig.BETAS).add(optimizer.beta1()).add(optimizer.beta2());
        params.put(OptimizerConfig.EPS, optimizer.eps());
        params.put(OptimizerConfig.WEIGHT_DECAY, optimizer.weightDecay());
        params.put(OptimizerConfig.ADAM_W_MODE, optimizer.type() == OptimizerConfig.Type.ADAMW);
    }

    private static void writeScheduler(final ObjectNode root, final SchedulerConfig scheduler) {
        if (scheduler instanceof SchedulerConfig.Constant) {
            return;
        }
        final ObjectNode section = root.putObject(SchedulerConfig.SECTION);
        section.put(SchedulerConfig.TYPE, scheduler.type().jsonName());
        final ObjectNode params = section.putObject(SchedulerConfig.PARAMS);
        if (scheduler instanceof SchedulerConfig.WarmupLR warmup) {
            params.put(SchedulerConfig.WARMUP_MIN_LR, warmup.warmupMinLr());
            params.put(SchedulerConfig.WARMUP_MAX_LR, warmup.warmupMaxLr());
            params.put(SchedulerConfig.WARMUP_NUM_STEPS, warmup.warmupNumSteps());
            params.put(SchedulerConfig.WARMUP_TYPE, warmup.warmupType().jsonName());
        } else if (scheduler instanceof SchedulerConfig.WarmupDecayLR decay) {
            params.put(SchedulerConfig.TOTAL_NUM_STEPS, decay.totalNumSteps());
            params.put(SchedulerConfig.WARMUP_MIN_LR, decay.warmupMinLr());
            params.put(SchedulerConfig.WARMUP_MAX_LR, decay.warmupMaxLr());
            params.put(SchedulerConfig.WARMUP_NUM_STEPS, decay.warmupNumSteps());
            params.put(SchedulerConfig.WARMUP_TYPE, decay.warmupType().jsonName());
        } else if (scheduler instanceof SchedulerConfig.WarmupCosineLR cosine) {
            params.put(SchedulerConfig.TOTAL_NUM_STEPS, cosine.totalNumSteps());
            params.put(SchedulerConfig.WARMUP_MIN_RATIO, cosine.warmupMinRatio());
            params.put(SchedulerConfig.WARMUP_NUM_STEPS, cosine.warmupNumSteps());
            params.put(SchedulerConfig.COS_MIN_RATIO, cosine.cosMinRatio());
            params.put(SchedulerConfig.WARMUP_TYPE, cosine.warmupType().jsonName());
        }
    }

    private static void writeZero(final ObjectNode section, final ZeroConfig zero) {
        section.put(ZeroConfig.STAGE, zero.stage());
        section.put(ZeroConfig.REDUCE_BUCKET_SIZE, zero.reduceBucketSize());
        section.put(ZeroConfig.ALLGATHER_BUCKET_SIZE, zero.allgatherBucketSize());
        section.put(ZeroConfig.OVERLAP_COMM, zero.overlapComm());
        section.put(ZeroConfig.CONTIGUOUS_GRADIENTS, zero.contiguousGradients());
        section.put(ZeroConfig.REDUCE_SCATTER, zero.reduceScatter());
        section.put(ZeroConfig.ALLGATHER_PARTITIONS, zero.allgatherPartitions());
        section.putObject(ZeroConfig.OFFLOAD_OPTIMIZER).put(ZeroConfig.OFFLOAD_DEVICE, zero.offloadOptimizer().jsonName());
        section.putObject(ZeroConfig.OFFLOAD_PARAM).put(ZeroConfig.OFFLOAD_DEVICE, zero.offloadParam().jsonName());
        section.put(ZeroConfig.STAGE3_PREFETCH_BUCKET_SIZE, zero.stage3PrefetchBucketSize());
        section.put(ZeroConfig.STAGE3_PARAM_PERSISTENCE_THRESHOLD, zero.stage3ParamPersistenceThreshold());
        section.put(ZeroConfig.STAGE3_MAX_LIVE_PARAMETERS, zero.stage3MaxLiveParameters());
        section.put(ZeroConfig.STAGE3_MAX_REUSE_DISTANCE, zero.stage3MaxReuseDistance());
    }

    private static void writeTarget(final ObjectNode section, final MonitorTarget target) {
        section.put(MonitorTarget.ENABLED, target.enabled());
        section.put(MonitorTarget.OUTPUT_PATH, target.outputPath());
        section.put(MonitorTarget.JOB_NAME, target.jobName());
    }
}
