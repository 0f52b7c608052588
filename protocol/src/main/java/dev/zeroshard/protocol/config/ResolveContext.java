package dev.zeroshard.protocol.config;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What a DeepSpeed config is resolved against: facts about the job that the file does not hold.
 *
 * @param worldSize  data-parallel ranks; {@code train_batch_size = micro_batch * grad_accum * world_size}.
 * @param hiddenSize the model's hidden size, when known: resolves {@code "auto"} bucket sizes as
 *                   Hugging Face does ({@code hidden²}, {@code 0.9·hidden²}, {@code 10·hidden}).
 * @param totalSteps the job's total optimizer steps, when known: resolves a scheduler's
 *                   {@code "total_num_steps": "auto"}.
 */
public record ResolveContext(int worldSize, OptionalInt hiddenSize, OptionalLong totalSteps) {
    public ResolveContext {
        Objects.requireNonNull(hiddenSize, "hiddenSize");
        Objects.requireNonNull(totalSteps, "totalSteps");
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize=" + worldSize + ": must be >= 1");
        }
        if (hiddenSize.isPresent() && hiddenSize.getAsInt() < 1) {
            throw new IllegalArgumentException("hiddenSize=" + hiddenSize.getAsInt() + ": must be >= 1");
        }
        if (totalSteps.isPresent() && totalSteps.getAsLong() < 1) {
            throw new IllegalArgumentException("totalSteps=" + totalSteps.getAsLong() + ": must be >= 1");
        }
    }

    /** A context with no total step count. */
    public ResolveContext(final int worldSize, final OptionalInt hiddenSize) {
        this(worldSize, hiddenSize, OptionalLong.empty());
    }

    /** A context that knows only the world size. */
    public static ResolveContext ofWorldSize(final int worldSize) {
        return new ResolveContext(worldSize, OptionalInt.empty(), OptionalLong.empty());
    }

    public ResolveContext withHiddenSize(final int hidden) {
        return new ResolveContext(worldSize, OptionalInt.of(hidden), totalSteps);
    }

    public ResolveContext withTotalSteps(final long steps) {
        return new ResolveContext(worldSize, hiddenSize, OptionalLong.of(steps));
    }
}
