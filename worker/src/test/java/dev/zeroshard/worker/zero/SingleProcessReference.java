package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.sharding.collective.Partition;
import dev.zeroshard.sharding.collective.RingSchedule;
import dev.zeroshard.sharding.numeric.Bf16;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.Precision;
import dev.zeroshard.worker.optim.AdamOptimizer;
import dev.zeroshard.worker.optim.GradientNorm;
import dev.zeroshard.worker.train.BatchSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The single-process run N ranks must reproduce: one dense model runs every rank's micro-batches in turn, keeps
 * each rank's gradients apart, and adds them in the order {@link ZeroEngine} documents (the ring order of each
 * element's owner; per step for stages 0 and 1, per micro-batch for stages 2 and 3), then takes one AdamW step on
 * the whole buffer. No partitions, buckets, gathers or communication: only the arithmetic order is shared.
 */
final class SingleProcessReference {
    private final DeepSpeedConfig config;
    private final BatchSource[] rankBatches;
    private final boolean reducePerMicroBatch;
    private final CpuGpt model;
    private final float[] master;
    private final AdamOptimizer optimizer;
    private final ShardPlan plan;
    private final Partition owners;
    private final int[] inputs;
    private final int[] targets;
    private long step;

    /** What one step gave. */
    record Step(double loss, double gradNorm, float[] master) {
    }

    SingleProcessReference(final GptConfig gpt, final int seqLen, final DeepSpeedConfig config,
                           final BatchSource[] rankBatches, final float[] initialWeights) {
        this.config = config;
        this.rankBatches = rankBatches;
        this.reducePerMicroBatch = config.zero().stage() >= 2;
        final int microBatch = config.batch().microBatchPerGpu();
        this.model = new CpuGpt(gpt, microBatch, seqLen, Precision.of(config.precision().bf16()), new JavaGemm());
        System.arraycopy(initialWeights, 0, model.parameters(), 0, initialWeights.length);
        model.parametersChanged();
        this.master = initialWeights.clone();
        this.optimizer = new AdamOptimizer(model.layout().parameters(), config.optimizer());
        this.plan = ShardPlan.of(initialWeights.length, rankBatches.length);
        this.owners = plan.segments(0, initialWeights.length);
        this.inputs = new int[microBatch * seqLen];
        this.targets = new int[inputs.length];
    }

    Step step() {
        final int ranks = rankBatches.length;
        final int accumulation = config.batch().gradientAccumulationSteps();
        final float gradScale = 1f / ((float) inputs.length * accumulation);
        final int elements = master.length;
        final float[][] perRank = new float[ranks][];
        final double[] lossSums = new double[ranks];
        final float[] grads = new float[elements];
        if (!reducePerMicroBatch) {
            for (int rank = 0; rank < ranks; rank++) {
                model.zeroGradients();
                for (int micro = 0; micro < accumulation; micro++) {
                    rankBatches[rank].nextBatch(inputs, targets);
                    lossSums[rank] += model.forwardBackward(inputs, targets, gradScale);
                }
                perRank[rank] = model.gradients().clone();
            }
            RingSchedule.referenceSum(perRank, 0, owners, grads, 0);
        } else {
            final float[] sum = new float[elements];
            for (int micro = 0; micro < accumulation; micro++) {
                for (int rank = 0; rank < ranks; rank++) {
                    model.zeroGradients();
                    rankBatches[rank].nextBatch(inputs, targets);
                    lossSums[rank] += model.forwardBackward(inputs, targets, gradScale);
                    perRank[rank] = model.gradients().clone();
                }
                RingSchedule.referenceSum(perRank, 0, owners, sum, 0);
                for (int i = 0; i < elements; i++) {
                    grads[i] = micro == 0 ? sum[i] : grads[i] + sum[i];
                }
            }
        }
        final float inverse = 1f / ranks;
        if (ranks > 1) {
            for (int i = 0; i < elements; i++) {
                grads[i] = grads[i] * inverse;
            }
        }
        double sumOfSquares = 0;
        for (int rank = 0; rank < ranks; rank++) {
            sumOfSquares += GradientNorm.sumOfSquares(grads, (int) plan.shardStart(rank), plan.ownedElements(rank));
        }
        final double norm = Math.sqrt(sumOfSquares);
        final double loss = ZeroEngine.globalLoss(lossSums, accumulation);
        if (config.gradientClipping().enabled()) {
            GradientNorm.clip(grads, 0, elements, norm, config.gradientClipping().maxNorm());
        }
        optimizer.step(master, grads, config.scheduler().learningRate(step, config.optimizer().lr()));
        System.arraycopy(master, 0, model.parameters(), 0, elements);
        model.parametersChanged();
        step++;
        return new Step(loss, norm, Arrays.copyOf(master, elements));
    }

    /** The compute weights' checksum, as {@link ZeroEngine#computeWeightsChecksum()} computes it. */
    long computeWeightsChecksum() {
        final CRC32C crc = new CRC32C();
        final float[] params = model.parameters();
        final ByteBuffer bytes;
        if (config.precision().bf16()) {
            bytes = ByteBuffer.allocate(params.length * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (final float value : params) {
                bytes.putShort(Bf16.fromFloat(value));
            }
        } else {
            bytes = ByteBuffer.allocate(params.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(params);
        }
        crc.update(bytes.array());
        return crc.getValue();
    }
}
