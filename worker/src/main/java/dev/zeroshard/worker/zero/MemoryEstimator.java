package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.sharding.zero.BucketPlan;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.Precision;

/**
 * What one rank of {@link ZeroEngine} will hold, by kind, computed from the model, the DeepSpeed config and the
 * world size without allocating any of it: {@code zeroshard estimate}. Unlike DeepSpeed's estimator it counts the
 * activations of the configured micro-batch and sequence length and the communication and gather buffers, the
 * terms that make real runs exceed the model-state formulas.
 */
public final class MemoryEstimator {
    private MemoryEstimator() {
    }

    /** The estimate for one rank of {@code worldSize}, sequence length {@code seqLen}. */
    public static MemoryReport estimate(final GptConfig gpt, final int seqLen, final DeepSpeedConfig config,
                                        final int worldSize) {
        final GptLayout layout = new GptLayout(gpt);
        final ZeroSettings settings = new ZeroSettings(config.zero().stage(), config.zero().reduceBucketSize(),
            config.zero().allgatherBucketSize(), config.zero().overlapComm(), config.zero().reduceScatter(),
            config.zero().stage3PrefetchBucketSize(), config.zero().stage3ParamPersistenceThreshold(), worldSize);
        final Precision precision = Precision.of(config.precision().bf16());
        final boolean bf16 = precision == Precision.BF16;
        final long elements = layout.totalElements();
        final long shard = ShardPlan.of(elements, worldSize).shardLength();
        final int stage = settings.stage();
        final long computeElementBytes = bf16 ? Short.BYTES : Float.BYTES;

        final long compute = computeElementBytes * (stage < 3 ? elements : shard);
        final long master = bf16 ? (long) Float.BYTES * (stage == 0 ? elements : shard) : 0;
        final long gradients = (long) Float.BYTES * (stage < 2 ? elements : shard);
        final long moments = 2L * Float.BYTES * (stage == 0 ? elements : shard);

        final long embedding = unitLength(layout, GptLayout.embeddingUnit());
        final long finalNorm = unitLength(layout, layout.finalNormUnit());
        long maxBlock = 0;
        long persistentBlocks = 0;
        boolean anyGathered = false;
        for (int layer = 0; layer < gpt.layers(); layer++) {
            final long block = unitLength(layout, GptLayout.blockUnit(layer));
            maxBlock = Math.max(maxBlock, block);
            if (block < settings.persistenceThreshold()) {
                persistentBlocks += block;
            } else {
                anyGathered = true;
            }
        }
        long buffers = (long) Float.BYTES * 3 * 4 * worldSize;
        if (bf16) {
            buffers += (long) Float.BYTES * (maxBlock + finalNorm);
        }
        if (stage == 3) {
            buffers += computeElementBytes * (embedding + finalNorm + persistentBlocks + (anyGathered ? 2 * maxBlock
                : 0));
        }
        if (stage >= 2) {
            final long bucket = BucketPlan.backwardOrder(elements, settings.reduceBucketElements()).maxBucketLength();
            buffers += (long) Float.BYTES * (embedding + maxBlock + finalNorm + (settings.overlapComm() ? 2 : 1)
                * bucket);
        }
        final long activations = CpuGpt.activationBytes(gpt, config.batch().microBatchPerGpu(), seqLen, precision);
        return new MemoryReport(compute, gradients, master, moments, buffers, activations);
    }

    private static long unitLength(final GptLayout layout, final int unit) {
        return layout.unitEnd(unit) - layout.unitStart(unit);
    }
}
