package dev.zeroshard.protocol.config;

/**
 * How many samples make one optimizer step: {@code trainBatchSize = microBatchPerGpu *
 * gradientAccumulationSteps * worldSize}, as DeepSpeed requires.
 *
 * @param trainBatchSize            samples per optimizer step over all ranks ({@code train_batch_size}).
 * @param microBatchPerGpu          samples per forward/backward pass on one rank ({@code train_micro_batch_size_per_gpu}).
 * @param gradientAccumulationSteps micro-batches accumulated before a step ({@code gradient_accumulation_steps}).
 * @param worldSize                 data-parallel ranks (from the {@link ResolveContext}, not the file).
 */
public record BatchConfig(long trainBatchSize, int microBatchPerGpu, int gradientAccumulationSteps, int worldSize) {
    public static final String TRAIN_BATCH_SIZE = "train_batch_size";
    public static final String MICRO_BATCH_PER_GPU = "train_micro_batch_size_per_gpu";
    public static final String GRADIENT_ACCUMULATION_STEPS = "gradient_accumulation_steps";

    /** Micro-batch and accumulation steps when the file says nothing that determines them. */
    public static final int MICRO_BATCH_PER_GPU_DEFAULT = 1;
    public static final int GRADIENT_ACCUMULATION_STEPS_DEFAULT = 1;

    static final LongRange TRAIN_BATCH_RANGE = LongRange.atLeast(1);
    static final LongRange MICRO_BATCH_RANGE = LongRange.intAtLeast(1);
    static final LongRange GRADIENT_ACCUMULATION_RANGE = LongRange.intAtLeast(1);

    public BatchConfig {
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize=" + worldSize + ": must be >= 1");
        }
        final Violations violations = new Violations()
            .check(TRAIN_BATCH_SIZE, trainBatchSize, TRAIN_BATCH_RANGE)
            .check(MICRO_BATCH_PER_GPU, microBatchPerGpu, MICRO_BATCH_RANGE)
            .check(GRADIENT_ACCUMULATION_STEPS, gradientAccumulationSteps, GRADIENT_ACCUMULATION_RANGE);
        if (violations.isEmpty()) {
            final String formula = formula(microBatchPerGpu, gradientAccumulationSteps, worldSize);
            try {
                final long product = product(microBatchPerGpu, gradientAccumulationSteps, worldSize);
                violations.require(product == trainBatchSize, TRAIN_BATCH_SIZE, Long.toString(trainBatchSize),
                    "must equal " + formula + " = " + product);
            } catch (final ArithmeticException ex) {
                violations.require(false, TRAIN_BATCH_SIZE, Long.toString(trainBatchSize),
                    formula + " overflows a 64-bit integer");
            }
        }
        violations.throwIfAny();
    }

    /** micro * grad_accum * world; throws {@link ArithmeticException} past {@code Long.MAX_VALUE}. */
    static long product(final long microBatch, final long gradAccum, final long worldSize) {
        return Math.multiplyExact(Math.multiplyExact(microBatch, gradAccum), worldSize);
    }

    /** {@code micro_batch(4) * grad_accum(8) * world_size(4)}: how errors and {@code describe()} show the product. */
    static String formula(final long microBatch, final long gradAccum, final long worldSize) {
        return "micro_batch(" + microBatch + ") * grad_accum(" + gradAccum + ") * world_size(" + worldSize + ")";
    }
}
