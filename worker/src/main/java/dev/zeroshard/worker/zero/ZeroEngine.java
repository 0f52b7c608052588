package dev.zeroshard.worker.zero;

import dev.zeroshard.checkpoints.sharded.Checkpoint;
import dev.zeroshard.checkpoints.sharded.ShardSnapshot;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.sharding.layout.TensorRange;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.backend.GptModelFactory;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.GradientView;
import dev.zeroshard.worker.model.ModelStates;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.model.Precision;
import dev.zeroshard.worker.optim.AdamOptimizer;
import dev.zeroshard.worker.optim.GradientNorm;
import dev.zeroshard.worker.train.BatchSource;
import dev.zeroshard.worker.train.CheckpointTarget;
import dev.zeroshard.worker.train.StepMetrics;
import dev.zeroshard.worker.train.TrainingStoppedException;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * One rank of data-parallel training under ZeRO stage 0, 1, 2 or 3 (the {@code zero_optimization} section):
 * per optimizer step, {@code gradient_accumulation_steps} micro-batches of this rank's data through forward and
 * backward, gradients reduced over the ring in fp32, the global norm and clipping over all shards, an AdamW step
 * on the rank's shard of the fp32 master weights, and the compute weights brought up to date.
 *
 * <p><b>Reduction order.</b> Every gradient element is summed over the ranks in the ring order its owner fixes
 * ({@link ShardPlan#segments}): the ranks after the owner first, the owner last. Stages 0 and 1 sum each rank's
 * gradients accumulated over its micro-batches (backward adds micro-batch after micro-batch into one buffer);
 * stages 2 and 3 sum each micro-batch over the ranks and then add the reduced micro-batches in order. The sum is
 * scaled by 1/N, the loss is the mean over ranks (in rank order) of each rank's mean over its micro-batches,
 * and the squared norm is the sum over ranks (in rank order) of each shard's sum of squares. These orders depend
 * on nothing but N and the stage family, which is why a single process that follows them reproduces every rank's
 * bits (see the equivalence tests).
 *
 * <p>The model comes from a {@link GptModelFactory} built on this engine's store, so it runs on whichever backend
 * the job resolved to (the CPU, or the GPU through the CUDA backend); the store, the ring and the optimizer stay on
 * the host either way.
 *
 * <p>Not thread-safe: one thread drives a rank. The communicator is the caller's and stays open; {@link #close()}
 * frees the model's native or device memory.
 */
public final class ZeroEngine implements CheckpointTarget, AutoCloseable {
    private final DeepSpeedConfig config;
    private final ZeroSettings settings;
    private final Communicator comm;
    private final BatchSource batches;
    private final NonFinitePolicy nonFinitePolicy;
    private final GptLayout layout;
    private final ShardPlan plan;
    private final CommClock clock = new CommClock();
    private final ShardedParameters params;
    private final GradientReducer grads;
    private final StepExchange exchange;
    private final AdamOptimizer optimizer;
    private final GptModel model;
    private final int[] inputs;
    private final int[] targets;
    private long step;
    private long skippedSteps;
    /** From a step's first micro-batch to the end of its last: the ring may hold the model's gradient buckets. */
    private boolean gradientsOnRing;
    private CommStats lastComm = new CommStats(0, 0);

    /**
     * Builds this rank's share of the model and its optimizer; every rank must pass the same arguments except
     * its communicator and its batches.
     *
     * @param models         the backend the model computes on.
     * @param initialWeights Ψ fp32 values in layout order, the same on every rank (a seed's init or a load).
     * @throws dev.zeroshard.protocol.config.ConfigException when the config asks for what this engine cannot do.
     */
    public ZeroEngine(final GptConfig gpt, final int seqLen, final DeepSpeedConfig config,
                      final GptModelFactory models,
                      final Communicator comm, final BatchSource batches, final NonFinitePolicy nonFinitePolicy,
                      final float[] initialWeights) {
        this.config = Objects.requireNonNull(config, "config");
        this.comm = Objects.requireNonNull(comm, "comm");
        this.batches = Objects.requireNonNull(batches, "batches");
        this.nonFinitePolicy = Objects.requireNonNull(nonFinitePolicy, "nonFinitePolicy");
        this.layout = new GptLayout(gpt);
        if (initialWeights.length != layout.totalElements()) {
            throw new IllegalArgumentException("initial weights hold " + initialWeights.length + " values; the model "
                + "has " + layout.totalElements() + " parameters");
        }
        this.settings = ZeroSettings.of(config, layout, comm.worldSize(), comm.chunkElements());
        this.plan = ShardPlan.of(layout.totalElements(), comm.worldSize());
        final Precision precision = Precision.of(config.precision().bf16());
        final int rank = comm.rank();
        this.params = new ShardedParameters(layout, plan, rank, settings, precision == Precision.BF16, comm, clock);
        final int microBatch = config.batch().microBatchPerGpu();
        // the model's store calls reach the reducer only from the first step on, so it can follow the model
        this.model = models.create(gpt, microBatch, seqLen, precision, new States());
        try {
            this.grads = settings.stage() >= 2
                ? new BucketedGradients(layout, plan, rank, settings, comm, clock, model.hostGradients())
                : new AccumulatedGradients(layout, plan, settings, comm, clock, model.hostGradients());
            this.exchange = new StepExchange(comm, clock);
            final long start = optimizerStart();
            final long end = start + optimizerLength();
            this.optimizer = new AdamOptimizer(layout.parameters(), config.optimizer(), start, end,
                settings.stage() == 0 ? layout.totalElements() : plan.shardLength());
            this.inputs = new int[microBatch * seqLen];
            this.targets = new int[inputs.length];
            params.initialize(initialWeights);
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    public int rank() {
        return comm.rank();
    }

    public int worldSize() {
        return comm.worldSize();
    }

    /** Optimizer steps taken (skipped ones included). */
    @Override
    public long step() {
        return step;
    }

    @Override
    public long optimizerStep() {
        return optimizer.stepCount();
    }

    /** This rank's owned range of master weights and moments (stage 0 too: each rank saves its partition). */
    @Override
    public ShardSnapshot snapshot(final ShardSnapshot into) {
        final int start = (int) plan.shardStart(comm.rank());
        final int owned = plan.ownedElements(comm.rank());
        final int local = start - (int) optimizerStart();
        final ShardSnapshot target = into != null ? into : new ShardSnapshot(comm.rank(), start, start + owned,
            new float[owned], new float[owned], new float[owned]);
        System.arraycopy(params.masterArray(), params.masterBase() + local, target.master(), 0, owned);
        System.arraycopy(optimizer.firstMoments(), local, target.expAvg(), 0, owned);
        System.arraycopy(optimizer.secondMoments(), local, target.expAvgSq(), 0, owned);
        return target;
    }

    @Override
    public void restore(final Checkpoint checkpoint) throws IOException {
        final long start = optimizerStart();
        final int length = (int) optimizerLength();
        checkpoint.read(Checkpoint.State.MASTER, start, length, params.masterArray(), params.masterBase());
        checkpoint.read(Checkpoint.State.EXP_AVG, start, length, optimizer.firstMoments(), 0);
        checkpoint.read(Checkpoint.State.EXP_AVG_SQ, start, length, optimizer.secondMoments(), 0);
        optimizer.restoreStepCount(checkpoint.trainingState().optimizerStep());
        step = checkpoint.trainingState().step();
        params.publish();
    }

    /** Steps whose update was skipped for non-finite gradients. */
    public long skippedSteps() {
        return skippedSteps;
    }

    public ZeroSettings settings() {
        return settings;
    }

    public ShardPlan shardPlan() {
        return plan;
    }

    /** Communication of the last step. */
    public CommStats lastCommStats() {
        return lastComm;
    }

    /** Bytes this rank holds, by kind, counted from the arrays it allocated. */
    public MemoryReport memory() {
        return new MemoryReport(params.computeBytes(), grads.gradientBytes(), params.masterBytes(),
            2L * Float.BYTES * optimizer.firstMoments().length, params.bufferBytes() + grads.bufferBytes()
            + exchange.bufferBytes(), model.activationBytes());
    }

    /** Runs one optimizer step on every rank (all ranks call it together) and reports it. */
    public StepMetrics trainStep() {
        final long startNs = System.nanoTime();
        clock.reset();
        comm.trainingStep(step + 1);
        final int accumulation = config.batch().gradientAccumulationSteps();
        final float gradScale = 1f / ((float) inputs.length * accumulation);
        grads.beginStep();
        double lossSum = 0;
        gradientsOnRing = true;
        for (int micro = 0; micro < accumulation; micro++) {
            batches.nextBatch(inputs, targets);
            grads.beginMicroBatch(micro, micro == accumulation - 1);
            params.enterForward();
            lossSum += model.forwardBackward(inputs, targets, gradScale);
            grads.endMicroBatch();
        }
        gradientsOnRing = false;
        final float[] g = grads.array();
        final int shift = grads.shift();
        final int rangeStart = (int) optimizerStart() + shift;
        final int rangeLength = (int) optimizerLength();
        scale(g, rangeStart, rangeLength, 1f / comm.worldSize());
        final int ownedStart = (int) plan.shardStart(comm.rank()) + shift;
        final int owned = plan.ownedElements(comm.rank());
        final double partial = GradientNorm.sumOfSquares(g, ownedStart, owned);
        final int bad = firstNonFinite(g, shift);
        final long[][] all = exchange.exchange(Double.doubleToRawLongBits(lossSum),
            Double.doubleToRawLongBits(partial), bad);
        final double[] lossSums = new double[all.length];
        double sumOfSquares = 0;
        int badRank = -1;
        int badTensor = -1;
        for (int rank = 0; rank < all.length; rank++) {
            lossSums[rank] = Double.longBitsToDouble(all[rank][0]);
            sumOfSquares += Double.longBitsToDouble(all[rank][1]);
            if (badRank < 0 && all[rank][2] >= 0) {
                badRank = rank;
                badTensor = (int) all[rank][2];
            }
        }
        final double loss = globalLoss(lossSums, accumulation);
        final double gradNorm = Math.sqrt(sumOfSquares);
        final long nextStep = step + 1;
        final double lr = config.scheduler().learningRate(step, config.optimizer().lr());
        if (badRank >= 0 || !Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            final String what = badRank >= 0
                ? "gradient of " + layout.parameters().tensors().get(badTensor).name() + " is not finite on rank "
                + badRank
                : "loss is " + loss;
            if (nonFinitePolicy == NonFinitePolicy.STOP) {
                throw new TrainingStoppedException(what + " at step " + nextStep + " (ZeRO stage " + settings.stage()
                    + "); stopping before the optimizer writes it into the weights");
            }
            skippedSteps++;
        } else {
            if (config.gradientClipping().enabled()) {
                GradientNorm.clip(g, rangeStart, rangeLength, gradNorm, config.gradientClipping().maxNorm());
            }
            optimizer.step(params.masterArray(), params.masterBase(), g, rangeStart, lr);
            params.publish();
        }
        step = nextStep;
        lastComm = new CommStats(clock.waitNs() / 1e9, clock.busyNs() / 1e9);
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        final double tokens = (double) inputs.length * accumulation * comm.worldSize();
        return new StepMetrics(step, loss, lr, gradNorm, tokens / seconds, seconds);
    }

    /**
     * The step's loss from each rank's sum of micro-batch losses: the mean over ranks, added in rank order, of
     * each rank's mean over its {@code accumulation} micro-batches.
     */
    public static double globalLoss(final double[] rankLossSums, final int accumulation) {
        double sum = 0;
        for (final double rankLossSum : rankLossSums) {
            sum += rankLossSum / accumulation;
        }
        return sum / rankLossSums.length;
    }

    /**
     * Frees the model's native or device memory; the engine is unusable after. After a step that failed between its
     * first micro-batch and the end of its last one, gradient buckets may still be on the ring, lying in the model's
     * pinned memory: it first aborts the communicator, so that the ring stops reading that memory before it is
     * freed.
     */
    @Override
    public void close() {
        try {
            if (gradientsOnRing) {
                comm.abort("rank " + comm.rank() + " closed its engine in step " + (step + 1)
                    + " with gradient buckets still on the ring");
            }
        } finally {
            model.close();
        }
    }

    /** The full fp32 master weights on every rank (a collective in stages 1–3: all ranks call it). */
    public float[] gatherMasterWeights() {
        return params.gatherMasterWeights();
    }

    /** CRC32C of the full compute weights, equal on every rank (a collective in stage 3: all ranks call it). */
    public long computeWeightsChecksum() {
        return params.computeWeightsChecksum();
    }

    private long optimizerStart() {
        return settings.stage() == 0 ? 0 : plan.shardStart(comm.rank());
    }

    private long optimizerLength() {
        return settings.stage() == 0 ? layout.totalElements() : plan.ownedElements(comm.rank());
    }

    /** Index in the layout of the first tensor with a non-finite gradient in this rank's shard, or -1. */
    private int firstNonFinite(final float[] g, final int shift) {
        final long start = plan.shardStart(comm.rank());
        final long end = start + plan.ownedElements(comm.rank());
        final List<TensorRange> tensors = layout.parameters().tensors();
        for (int t = 0; t < tensors.size(); t++) {
            final long from = Math.max(start, tensors.get(t).offsetElements());
            final long to = Math.min(end, tensors.get(t).endElements());
            for (long e = from; e < to; e++) {
                if (!Float.isFinite(g[(int) e + shift])) {
                    return t;
                }
            }
        }
        return -1;
    }

    private static void scale(final float[] values, final int offset, final int length, final float factor) {
        if (factor == 1f) {
            return;
        }
        for (int i = offset; i < offset + length; i++) {
            values[i] = values[i] * factor;
        }
    }

    /** The model's view of this rank's states. */
    private final class States implements ModelStates {
        @Override
        public void acquireParameters(final int unit, final ParameterView view) {
            params.acquire(unit, view);
        }

        @Override
        public void releaseParameters(final int unit) {
            params.release(unit);
        }

        @Override
        public void beginGradients(final int unit, final GradientView view) {
            if (unit == GptLayout.embeddingUnit()) {
                params.enterBackward();
            }
            grads.begin(unit, view);
        }

        @Override
        public void endGradients(final int unit) {
            grads.end(unit);
        }
    }
}
