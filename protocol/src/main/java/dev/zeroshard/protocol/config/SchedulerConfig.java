package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * The {@code scheduler} section: how the learning rate changes over optimizer steps. Each schedule
 * computes its rate exactly as DeepSpeed's {@code deepspeed/runtime/lr_schedules.py} does, as a
 * function of the step, with no state.
 *
 * <p>{@code step} in {@link #learningRate(long, double)} is DeepSpeed's {@code last_batch_iteration}:
 * 0 after the scheduler's first {@code step()}. Warmup length {@code n} is at least 2 because
 * DeepSpeed raises smaller values to 2 (and the reader refuses them rather than do so silently).
 */
public sealed interface SchedulerConfig
    permits SchedulerConfig.Constant, SchedulerConfig.WarmupLR, SchedulerConfig.WarmupDecayLR,
    SchedulerConfig.WarmupCosineLR {

    String SECTION = "scheduler";
    String TYPE = "type";
    String PARAMS = "params";
    String WARMUP_MIN_LR = "warmup_min_lr";
    String WARMUP_MAX_LR = "warmup_max_lr";
    String WARMUP_NUM_STEPS = "warmup_num_steps";
    String WARMUP_TYPE = "warmup_type";
    String TOTAL_NUM_STEPS = "total_num_steps";
    String WARMUP_MIN_RATIO = "warmup_min_ratio";
    String COS_MIN_RATIO = "cos_min_ratio";

    double WARMUP_MIN_LR_DEFAULT = 0.0;
    /** WarmupDecayLR's default peak; WarmupLR's default peak is the optimizer's lr. */
    double WARMUP_MAX_LR_DEFAULT = 0.001;
    long WARMUP_NUM_STEPS_DEFAULT = 1000;
    WarmupType WARMUP_TYPE_DEFAULT = WarmupType.LOG;
    double WARMUP_MIN_RATIO_DEFAULT = 0.0;
    double COS_MIN_RATIO_DEFAULT = 0.0001;

    /** The constant learning rate of a config without a scheduler. */
    SchedulerConfig NONE = new Constant();

    /** The schedule kinds, with DeepSpeed's {@code scheduler.type} names. */
    enum Type {
        NONE("none"),
        WARMUP_LR("WarmupLR"),
        WARMUP_DECAY_LR("WarmupDecayLR"),
        WARMUP_COSINE_LR("WarmupCosineLR");

        private final String jsonName;

        Type(final String jsonName) {
            this.jsonName = jsonName;
        }

        /** DeepSpeed's name; {@code none} (not a DeepSpeed name) for no scheduler. */
        public String jsonName() {
            return jsonName;
        }
    }

    Type type();

    /**
     * The learning rate after {@code step} scheduler steps.
     *
     * @param step   DeepSpeed's {@code last_batch_iteration}, >= 0.
     * @param baseLr the optimizer's {@code lr}: the rate of {@link Constant} and the 1.0 of
     *               {@link WarmupCosineLR}'s ratios; WarmupLR and WarmupDecayLR use their own
     *               {@code warmup_max_lr} (which the reader resolves from it when absent or "auto").
     */
    double learningRate(long step, double baseLr);

    /** {@code scheduler.params.<key>}. */
    static String param(final String key) {
        return SECTION + "." + PARAMS + "." + key;
    }

    /** No scheduler: the optimizer's lr at every step. */
    record Constant() implements SchedulerConfig {
        @Override
        public Type type() {
            return Type.NONE;
        }

        @Override
        public double learningRate(final long step, final double baseLr) {
            requireStep(step);
            return baseLr;
        }
    }

    /**
     * Rises from {@code warmupMinLr} to {@code warmupMaxLr} over {@code warmupNumSteps}, then stays:
     * {@code lr = min + (max - min) * fraction(step)}.
     */
    record WarmupLR(double warmupMinLr, double warmupMaxLr, long warmupNumSteps, WarmupType warmupType)
        implements SchedulerConfig {
        public WarmupLR {
            validateWarmup(warmupMinLr, warmupMaxLr, warmupNumSteps, warmupType).throwIfAny();
        }

        @Override
        public Type type() {
            return Type.WARMUP_LR;
        }

        @Override
        public double learningRate(final long step, final double baseLr) {
            requireStep(step);
            final double gamma = step < warmupNumSteps ? warmupType.fraction(step, warmupNumSteps) : 1.0;
            return warmupMinLr + (warmupMaxLr - warmupMinLr) * gamma;
        }
    }

    /**
     * WarmupLR's rise, then a linear decay that reaches {@code warmupMinLr} at {@code totalNumSteps}:
     * after warmup {@code gamma = max(0, (total - step) / max(1, total - n))}.
     */
    record WarmupDecayLR(
        long totalNumSteps, double warmupMinLr, double warmupMaxLr, long warmupNumSteps, WarmupType warmupType)
        implements SchedulerConfig {
        public WarmupDecayLR {
            validateWarmup(warmupMinLr, warmupMaxLr, warmupNumSteps, warmupType)
                .check(param(TOTAL_NUM_STEPS), totalNumSteps, ScheduleRanges.TOTAL_STEPS)
                .require(totalNumSteps >= warmupNumSteps, param(TOTAL_NUM_STEPS), Long.toString(totalNumSteps),
                    "must be >= warmup_num_steps(" + warmupNumSteps + ")")
                .throwIfAny();
        }

        @Override
        public Type type() {
            return Type.WARMUP_DECAY_LR;
        }

        @Override
        public double learningRate(final long step, final double baseLr) {
            requireStep(step);
            final double gamma;
            if (step < warmupNumSteps) {
                gamma = warmupType.fraction(step, warmupNumSteps);
            } else {
                gamma = Math.max(0.0, (double)(totalNumSteps - step) / Math.max(1L, totalNumSteps - warmupNumSteps));
            }
            return warmupMinLr + (warmupMaxLr - warmupMinLr) * gamma;
        }
    }

    /**
     * Works on ratios of the optimizer's lr: rises from {@code warmupMinRatio} to 1 over
     * {@code warmupNumSteps}, then follows a half cosine down to {@code cosMinRatio} at
     * {@code totalNumSteps} and stays there:
     * {@code ratio = cosMin + (1 - cosMin) * (1 + cos(pi * min(1, (step - n + 1) / max(1, total - n)))) / 2}.
     */
    record WarmupCosineLR(
        long totalNumSteps, double warmupMinRatio, long warmupNumSteps, double cosMinRatio, WarmupType warmupType)
        implements SchedulerConfig {
        public WarmupCosineLR {
            Objects.requireNonNull(warmupType, "warmupType");
            new Violations()
                .check(param(TOTAL_NUM_STEPS), totalNumSteps, ScheduleRanges.TOTAL_STEPS)
                .check(param(WARMUP_NUM_STEPS), warmupNumSteps, ScheduleRanges.WARMUP_STEPS)
                .check(param(WARMUP_MIN_RATIO), warmupMinRatio, ScheduleRanges.RATIO)
                .check(param(COS_MIN_RATIO), cosMinRatio, ScheduleRanges.RATIO)
                .require(totalNumSteps >= warmupNumSteps, param(TOTAL_NUM_STEPS), Long.toString(totalNumSteps),
                    "must be >= warmup_num_steps(" + warmupNumSteps + ")")
                .throwIfAny();
        }

        @Override
        public Type type() {
            return Type.WARMUP_COSINE_LR;
        }

        @Override
        public double learningRate(final long step, final double baseLr) {
            requireStep(step);
            return baseLr * ratio(step);
        }

        /** The share of the optimizer's lr at {@code step}. */
        public double ratio(final long step) {
            requireStep(step);
            if (step < warmupNumSteps) {
                return warmupMinRatio + warmupType.fraction(step, warmupNumSteps) * (1.0 - warmupMinRatio);
            }
            final double progress =
                Math.min(1.0, (double)(step - warmupNumSteps + 1) / Math.max(1L, totalNumSteps - warmupNumSteps));
            final double cosine = (1.0 + Math.cos(Math.PI * progress)) / 2.0;
            return Math.max(0.0, cosMinRatio + (1.0 - cosMinRatio) * cosine);
        }
    }

    private static Violations validateWarmup(
        final double minLr, final double maxLr, final long warmupSteps, final WarmupType warmupType) {
        Objects.requireNonNull(warmupType, "warmupType");
        return new Violations()
            .check(param(WARMUP_MIN_LR), minLr, ScheduleRanges.MIN_LR)
            .check(param(WARMUP_MAX_LR), maxLr, ScheduleRanges.MAX_LR)
            .require(!(maxLr < minLr), param(WARMUP_MAX_LR), JsonValues.render(maxLr),
                "must be >= warmup_min_lr(" + JsonValues.render(minLr) + ")")
            .check(param(WARMUP_NUM_STEPS), warmupSteps, ScheduleRanges.WARMUP_STEPS);
    }

    private static void requireStep(final long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step=" + step + ": must be >= 0");
        }
    }
}
