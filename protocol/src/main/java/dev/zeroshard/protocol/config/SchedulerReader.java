package dev.zeroshard.protocol.config;

import dev.zeroshard.protocol.config.ResolvedValue.Source;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.zeroshard.protocol.config.SchedulerConfig.COS_MIN_RATIO;
import static dev.zeroshard.protocol.config.SchedulerConfig.COS_MIN_RATIO_DEFAULT;
import static dev.zeroshard.protocol.config.SchedulerConfig.PARAMS;
import static dev.zeroshard.protocol.config.SchedulerConfig.TOTAL_NUM_STEPS;
import static dev.zeroshard.protocol.config.SchedulerConfig.TYPE;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_MAX_LR;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_MAX_LR_DEFAULT;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_MIN_LR;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_MIN_LR_DEFAULT;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_MIN_RATIO;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_MIN_RATIO_DEFAULT;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_NUM_STEPS;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_NUM_STEPS_DEFAULT;
import static dev.zeroshard.protocol.config.SchedulerConfig.WARMUP_TYPE;

/**
 * Reads the {@code scheduler} section into one of the {@link SchedulerConfig} schedules, with
 * DeepSpeed's defaults per schedule. {@code "auto"}: {@code warmup_max_lr} takes the optimizer's lr,
 * {@code total_num_steps} the job's total steps from the {@link ResolveContext} (an error without
 * them), the others their DeepSpeed defaults.
 */
final class SchedulerReader {
    private static final List<String> KEYS = List.of(TYPE, PARAMS);
    private static final List<String> WARMUP_KEYS = List.of(WARMUP_MIN_LR, WARMUP_MAX_LR, WARMUP_NUM_STEPS, WARMUP_TYPE);
    private static final List<String> DECAY_KEYS =
        List.of(TOTAL_NUM_STEPS, WARMUP_MIN_LR, WARMUP_MAX_LR, WARMUP_NUM_STEPS, WARMUP_TYPE);
    private static final List<String> COSINE_KEYS =
        List.of(TOTAL_NUM_STEPS, WARMUP_MIN_RATIO, WARMUP_NUM_STEPS, COS_MIN_RATIO, WARMUP_TYPE);
    private static final List<String> WARMUP_TYPES =
        Arrays.stream(WarmupType.values()).map(WarmupType::jsonName).toList();
    private static final List<String> TYPES = List.of(
        SchedulerConfig.Type.WARMUP_LR.jsonName(),
        SchedulerConfig.Type.WARMUP_DECAY_LR.jsonName(),
        SchedulerConfig.Type.WARMUP_COSINE_LR.jsonName());
    /** DeepSpeed schedules zeroshard does not have. */
    private static final Map<String, String> UNSUPPORTED_TYPES = Map.of(
        "LRRangeTest", "not supported by zeroshard; use one of " + String.join(", ", TYPES),
        "OneCycle", "not supported by zeroshard; use one of " + String.join(", ", TYPES));
    private static final String AUTO_DEFAULT = "DeepSpeed's default";

    private SchedulerReader() {
    }

    /** The schedule, or null when an error was recorded. */
    static SchedulerConfig read(final JsonFields root, final double optimizerLr, final ResolveContext context) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final JsonFields section = root.object(SchedulerConfig.SECTION);
        section.rejectUnknownKeys(KEYS);
        final Field<String> typeField = section.string(TYPE);
        if (!section.isPresent()) {
            typeField.record(SchedulerConfig.Type.NONE.jsonName(), Source.DEFAULT, "constant learning rate");
            return resolution.build(mark, () -> SchedulerConfig.NONE);
        }
        if (typeField.isAbsent()) {
            resolution.error(typeField.path(), ConfigError.ABSENT, "is required: one of " + String.join(", ", TYPES));
            return null;
        }
        if (!typeField.isGiven()) {
            return null;
        }
        final String type = typeField.value();
        final JsonFields params = section.object(PARAMS);
        final Params reader = new Params(params, optimizerLr, context);
        if (type.equals(SchedulerConfig.Type.WARMUP_LR.jsonName())) {
            typeField.orDefault(type);
            params.rejectUnknownKeys(WARMUP_KEYS);
            final double minLr = reader.minLr();
            final double maxLr = reader.maxLr(optimizerLr, "DeepSpeed's WarmupLR uses the optimizer lr(" +
                JsonValues.render(optimizerLr) + ") when warmup_max_lr is absent");
            final long warmupSteps = reader.warmupSteps();
            final WarmupType warmupType = reader.warmupType();
            return resolution.build(mark, () -> new SchedulerConfig.WarmupLR(minLr, maxLr, warmupSteps, warmupType));
        }
        if (type.equals(SchedulerConfig.Type.WARMUP_DECAY_LR.jsonName())) {
            typeField.orDefault(type);
            params.rejectUnknownKeys(DECAY_KEYS);
            final long warmupSteps = reader.warmupSteps();
            final long totalSteps = reader.totalSteps(type, warmupSteps);
            final double minLr = reader.minLr();
            final double maxLr = reader.maxLr(WARMUP_MAX_LR_DEFAULT, "");
            final WarmupType warmupType = reader.warmupType();
            return resolution.build(mark,
                () -> new SchedulerConfig.WarmupDecayLR(totalSteps, minLr, maxLr, warmupSteps, warmupType));
        }
        if (type.equals(SchedulerConfig.Type.WARMUP_COSINE_LR.jsonName())) {
            typeField.orDefault(type);
            params.rejectUnknownKeys(COSINE_KEYS);
            final long warmupSteps = reader.warmupSteps();
            final long totalSteps = reader.totalSteps(type, warmupSteps);
            final double minRatio = params.number(WARMUP_MIN_RATIO, ScheduleRanges.RATIO, false)
                .orDefault(WARMUP_MIN_RATIO_DEFAULT);
            final double cosMinRatio = params.number(COS_MIN_RATIO, ScheduleRanges.RATIO, false)
                .orDefault(COS_MIN_RATIO_DEFAULT);
            final WarmupType warmupType = reader.warmupType();
            return resolution.build(mark,
                () -> new SchedulerConfig.WarmupCosineLR(totalSteps, minRatio, warmupSteps, cosMinRatio, warmupType));
        }
        final String unsupported = UNSUPPORTED_TYPES.get(type);
        section.error(TYPE, unsupported != null ? unsupported : "must be one of " + String.join(", ", TYPES)
            + KeySuggestions.closest(type, TYPES).map(closest -> "; did you mean " + closest + "?").orElse(""));
        return null;
    }

    /** The parameters the warmup schedules share. */
    private record Params(JsonFields params, double optimizerLr, ResolveContext context) {
        double minLr() {
            return params.number(WARMUP_MIN_LR, ScheduleRanges.MIN_LR, true)
                .orAuto(WARMUP_MIN_LR_DEFAULT, WARMUP_MIN_LR_DEFAULT, AUTO_DEFAULT);
        }

        double maxLr(final double absentValue, final String absentNote) {
            final Field<Double> field = params.number(WARMUP_MAX_LR, ScheduleRanges.MAX_LR, true);
            if (field.isAbsent() && !absentNote.isEmpty()) {
                return field.record(absentValue, Source.INFERRED, absentNote);
            }
            return field.orAuto(absentValue, optimizerLr, "optimizer.params.lr(" + JsonValues.render(optimizerLr) + ")");
        }

        long warmupSteps() {
            return params.integer(WARMUP_NUM_STEPS, ScheduleRanges.WARMUP_STEPS, true)
                .orAuto(WARMUP_NUM_STEPS_DEFAULT, WARMUP_NUM_STEPS_DEFAULT, AUTO_DEFAULT);
        }

        WarmupType warmupType() {
            final String text = params.choice(WARMUP_TYPE, WARMUP_TYPES).orDefault(WarmupType.LOG.jsonName());
            return WarmupType.valueOf(text.toUpperCase(Locale.ROOT));
        }

        /**
         * {@code total_num_steps}; {@code "auto"} takes the job's total steps, and says so when they are fewer than
         * the warmup's (the schedule itself refuses a given value that is). A value that cannot be used is reported
         * once and read as {@code warmupSteps}, so that the schedule adds no second error about it.
         */
        long totalSteps(final String scheduleType, final long warmupSteps) {
            final Field<Long> field = params.integer(TOTAL_NUM_STEPS, ScheduleRanges.TOTAL_STEPS, true);
            if (field.isAbsent()) {
                params.resolution().error(field.path(), ConfigError.ABSENT, "is required for " + scheduleType);
                return warmupSteps;
            }
            if (field.isAuto()) {
                if (context.totalSteps().isEmpty()) {
                    params.error(TOTAL_NUM_STEPS, "\"auto\" needs the job's max_steps; set it");
                    return warmupSteps;
                }
                final long steps = context.totalSteps().getAsLong();
                if (steps < warmupSteps) {
                    params.error(TOTAL_NUM_STEPS, "\"auto\" is the job's total steps(" + steps + ") here, fewer than "
                        + "warmup_num_steps(" + warmupSteps + "): train for at least " + warmupSteps
                        + " steps or lower warmup_num_steps");
                    return warmupSteps;
                }
                return field.record(steps, Source.AUTO, "the job's total steps(" + steps + ")");
            }
            return field.orDefault(warmupSteps);
        }
    }
}
