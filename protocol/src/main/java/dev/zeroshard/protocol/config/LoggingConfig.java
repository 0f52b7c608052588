package dev.zeroshard.protocol.config;

/**
 * How often and how much the training loop logs: DeepSpeed's top-level {@code steps_per_print}
 * and {@code wall_clock_breakdown}.
 *
 * @param stepsPerPrint      log progress every this many optimizer steps, >= 1.
 * @param wallClockBreakdown time forward, backward and step separately, and log the breakdown.
 */
public record LoggingConfig(int stepsPerPrint, boolean wallClockBreakdown) {
    public static final String STEPS_PER_PRINT = "steps_per_print";
    public static final String WALL_CLOCK_BREAKDOWN = "wall_clock_breakdown";

    public static final int STEPS_PER_PRINT_DEFAULT = 10;
    public static final boolean WALL_CLOCK_BREAKDOWN_DEFAULT = false;

    static final LongRange STEPS_PER_PRINT_RANGE = LongRange.intAtLeast(1);

    public LoggingConfig {
        new Violations().check(STEPS_PER_PRINT, stepsPerPrint, STEPS_PER_PRINT_RANGE).throwIfAny();
    }
}
