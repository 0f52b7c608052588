package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.sharded.Checkpoint;
import dev.zeroshard.checkpoints.sharded.ShardSnapshot;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.SchedulerConfig;
import dev.zeroshard.sharding.layout.TensorRange;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.optim.AdamOptimizer;
import dev.zeroshard.worker.optim.GradientNorm;

import java.io.IOException;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Single-process training: per optimizer step, {@code gradient_accumulation_steps} micro-batches of
 * forward and backward (gradients summed in fp32, scaled so the step sees the mean over its whole
 * batch), the global gradient norm, clipping, the scheduled learning rate and an AdamW step on the
 * fp32 master weights, which are then copied into the model's compute weights.
 */
public final class Trainer implements CheckpointTarget {
    private final GptModel model;
    private final DeepSpeedConfig config;
    private final BatchSource batches;
    private final AdamOptimizer optimizer;
    private final float[] master;
    private final int[] inputs;
    private final int[] targets;
    private final LongSupplier nanoClock;
    private long step;

    /**
     * @param model     a model whose parameters are initialised.
     * @param config    the resolved DeepSpeed config (batch, optimizer, scheduler, clipping).
     * @param batches   micro-batches of the model's (B,T).
     * @param nanoClock the clock step times are read from ({@code System::nanoTime} outside tests).
     */
    public Trainer(final GptModel model, final DeepSpeedConfig config, final BatchSource batches,
        final LongSupplier nanoClock) {
        if (config.batch().microBatchPerGpu() != model.batchSize()) {
            throw new IllegalArgumentException("model sized for micro-batch " + model.batchSize()
                + " but train_micro_batch_size_per_gpu=" + config.batch().microBatchPerGpu());
        }
        this.model = model;
        this.config = config;
        this.batches = batches;
        this.optimizer = new AdamOptimizer(model.layout().parameters(), config.optimizer());
        // the optimizer updates fp32 master weights; the compute weights are refreshed from them
        // after each step (and rounded to bf16 in bf16 mode)
        this.master = model.parameters().clone();
        this.inputs = new int[model.batchSize() * model.seqLen()];
        this.targets = new int[inputs.length];
        this.nanoClock = nanoClock;
        model.parametersChanged();
    }

    /** Optimizer steps taken. */
    @Override
    public long step() {
        return step;
    }

    @Override
    public long optimizerStep() {
        return optimizer.stepCount();
    }

    @Override
    public ShardSnapshot snapshot(final ShardSnapshot into) {
        final ShardSnapshot target = into != null ? into : new ShardSnapshot(0, 0, master.length,
            new float[master.length], new float[master.length], new float[master.length]);
        System.arraycopy(master, 0, target.master(), 0, master.length);
        System.arraycopy(optimizer.firstMoments(), 0, target.expAvg(), 0, master.length);
        System.arraycopy(optimizer.secondMoments(), 0, target.expAvgSq(), 0, master.length);
        return target;
    }

    @Override
    public void restore(final Checkpoint checkpoint) throws IOException {
        checkpoint.read(Checkpoint.State.MASTER, 0, master.length, master, 0);
        checkpoint.read(Checkpoint.State.EXP_AVG, 0, master.length, optimizer.firstMoments(), 0);
        checkpoint.read(Checkpoint.State.EXP_AVG_SQ, 0, master.length, optimizer.secondMoments(), 0);
        optimizer.restoreStepCount(checkpoint.trainingState().optimizerStep());
        step = checkpoint.trainingState().step();
        System.arraycopy(master, 0, model.parameters(), 0, master.length);
        model.parametersChanged();
    }

    /** The fp32 master weights (layout order). */
    public float[] masterWeights() {
        return master;
    }

    public AdamOptimizer optimizer() {
        return optimizer;
    }

    /** Runs one optimizer step and reports it. */
    public StepMetrics trainStep() {
        final long start = nanoClock.getAsLong();
        final int accumulation = config.batch().gradientAccumulationSteps();
        final int tokensPerMicroBatch = inputs.length;
        final float gradScale = 1f / ((float)tokensPerMicroBatch * accumulation);
        model.zeroGradients();
        double lossSum = 0;
        for (int micro = 0; micro < accumulation; micro++) {
            batches.nextBatch(inputs, targets);
            lossSum += model.forwardBackward(inputs, targets, gradScale);
        }
        final double loss = lossSum / accumulation;
        final long nextStep = step + 1;
        if (!Double.isFinite(loss)) {
            throw new TrainingStoppedException("loss is " + loss + " at step " + nextStep
                + "; stopping before the optimizer writes it into the weights");
        }
        final float[] grads = model.gradients();
        final double gradNorm = Math.sqrt(GradientNorm.sumOfSquares(grads, 0, grads.length));
        if (!Double.isFinite(gradNorm)) {
            final Optional<TensorRange> bad = GradientNorm.firstNonFinite(model.layout().parameters(), grads);
            throw new TrainingStoppedException("gradient of " + bad.map(TensorRange::name).orElse("?")
                + " is not finite at step " + nextStep + "; stopping before the optimizer step");
        }
        if (config.gradientClipping().enabled()) {
            GradientNorm.clip(grads, 0, grads.length, gradNorm, config.gradientClipping().maxNorm());
        }
        final SchedulerConfig scheduler = config.scheduler();
        final double lr = scheduler.learningRate(step, config.optimizer().lr());
        optimizer.step(master, grads, lr);
        System.arraycopy(master, 0, model.parameters(), 0, master.length);
        model.parametersChanged();
        step = nextStep;
        final double seconds = (nanoClock.getAsLong() - start) / 1e9;
        return new StepMetrics(step, loss, lr, gradNorm, tokensPerMicroBatch * (double)accumulation / seconds, seconds);
    }
}
