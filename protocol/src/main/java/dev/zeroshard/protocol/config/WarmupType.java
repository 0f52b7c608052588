package dev.zeroshard.protocol.config;

import java.util.Locale;

/**
 * How DeepSpeed's warmup schedules rise from their start to their peak over {@code n =
 * warmup_num_steps} steps; {@link #fraction(long, long)} is the share of the way done at a step.
 */
public enum WarmupType {
    /** {@code ln(step + 1) / ln(n)}: fast at first, DeepSpeed's default. */
    LOG,
    /** {@code step / n}. */
    LINEAR;

    /** The JSON spelling: {@code log}, {@code linear}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Progress of the warmup at {@code step} (DeepSpeed's {@code last_batch_iteration}, from 0),
     * for {@code 0 <= step < warmupSteps}: in [0, 1).
     */
    public double fraction(final long step, final long warmupSteps) {
        if (step < 0 || step >= warmupSteps) {
            throw new IllegalArgumentException("step=" + step + ": must be in [0, warmupSteps=" + warmupSteps + ")");
        }
        return switch (this) {
            case LOG -> Math.log(step + 1.0) / Math.log(warmupSteps);
            case LINEAR -> (double)step / warmupSteps;
        };
    }
}
