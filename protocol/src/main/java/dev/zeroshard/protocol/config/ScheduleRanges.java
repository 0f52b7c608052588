package dev.zeroshard.protocol.config;

/** The allowed values of the {@code scheduler.params}, shared by {@link SchedulerConfig} and its reader. */
final class ScheduleRanges {
    static final LongRange WARMUP_STEPS = LongRange.atLeast(2).because("DeepSpeed silently raises smaller values to 2");
    static final LongRange TOTAL_STEPS = LongRange.atLeast(1);
    static final DoubleRange MIN_LR = DoubleRange.NON_NEGATIVE;
    static final DoubleRange MAX_LR = DoubleRange.POSITIVE;
    static final DoubleRange RATIO = DoubleRange.UNIT;

    private ScheduleRanges() {
    }
}
