package dev.zeroshard.protocol.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The schedules against values computed by hand from DeepSpeed's formulas
 * ({@code deepspeed/runtime/lr_schedules.py}); {@code step} is DeepSpeed's {@code last_batch_iteration}.
 */
class SchedulerConfigTest {
    private static final double TOLERANCE = 1e-15;

    @Test
    void shouldKeepOptimizerLrWhenThereIsNoScheduler() {
        assertThat(SchedulerConfig.NONE.learningRate(0, 3e-4)).isEqualTo(3e-4);
        assertThat(SchedulerConfig.NONE.learningRate(1_000_000, 3e-4)).isEqualTo(3e-4);
    }

    @ParameterizedTest(name = "step {0}: {1}")
    @CsvSource({
        // log warmup: lr = 1e-3 * ln(step + 1) / ln(1000)
        "0,    0.0",
        "9,    3.3333333333333335e-4", // ln(10) / ln(1000) = 1/3
        "99,   6.666666666666667e-4",  // ln(100) / ln(1000) = 2/3
        "999,  1.0e-3",                // ln(1000) / ln(1000) = 1, still in warmup
        "1000, 1.0e-3",
        "50000, 1.0e-3"})
    void shouldWarmUpLogarithmicallyWhenWarmupTypeIsLog(final long step, final double expected) {
        final SchedulerConfig warmup = new SchedulerConfig.WarmupLR(0.0, 1e-3, 1000, WarmupType.LOG);

        assertThat(warmup.learningRate(step, 5.0)).isCloseTo(expected, within(TOLERANCE));
    }

    @Test
    void shouldWarmUpLinearlyFromMinLrWhenWarmupTypeIsLinear() {
        final SchedulerConfig warmup = new SchedulerConfig.WarmupLR(1e-5, 1e-3, 100, WarmupType.LINEAR);

        assertThat(warmup.learningRate(0, 1.0)).isCloseTo(1e-5, within(TOLERANCE));
        assertThat(warmup.learningRate(25, 1.0)).isCloseTo(1e-5 + 0.25 * 9.9e-4, within(TOLERANCE)); // 2.575e-4
        assertThat(warmup.learningRate(99, 1.0)).isCloseTo(1e-5 + 0.99 * 9.9e-4, within(TOLERANCE));
        assertThat(warmup.learningRate(100, 1.0)).isEqualTo(1e-3);
    }

    @ParameterizedTest(name = "step {0}: {1}")
    @CsvSource({
        // linear warmup over 1000 steps to 1e-3, then (total - step) / (total - warmup) of it, floored at 0
        "500,  5.0e-4",
        "1000, 1.0e-3",
        "1500, 5.0e-4",
        "1999, 1.0e-6",
        "2000, 0.0",
        "3000, 0.0"})
    void shouldDecayLinearlyToZeroAtTotalStepsWhenMinLrIsZero(final long step, final double expected) {
        final SchedulerConfig decay = new SchedulerConfig.WarmupDecayLR(2000, 0.0, 1e-3, 1000, WarmupType.LINEAR);

        assertThat(decay.learningRate(step, 5.0)).isCloseTo(expected, within(TOLERANCE));
    }

    @Test
    void shouldDecayToWarmupMinLrWhenMinLrIsSet() {
        final SchedulerConfig decay = new SchedulerConfig.WarmupDecayLR(2000, 1e-4, 1e-3, 1000, WarmupType.LINEAR);

        assertThat(decay.learningRate(1500, 1.0)).isCloseTo(1e-4 + 0.5 * 9e-4, within(TOLERANCE)); // 5.5e-4
        assertThat(decay.learningRate(2000, 1.0)).isCloseTo(1e-4, within(TOLERANCE));
    }

    @ParameterizedTest(name = "step {0}: ratio {1}")
    @CsvSource({
        "0,     0.0",
        "50,    0.5",     // linear warmup 50/100
        "599,   0.50005", // (599 - 100 + 1) / 1000 = 0.5: cos(pi/2) = 0, 1e-4 + 0.9999 * 0.5
        "1099,  1.0e-4",  // progress 1: cos_min_ratio
        "10000, 1.0e-4"}) // clamped past the end
    void shouldFollowCosineOfOptimizerLrWhenScheduleIsWarmupCosine(final long step, final double ratio) {
        final SchedulerConfig.WarmupCosineLR cosine =
            new SchedulerConfig.WarmupCosineLR(1100, 0.0, 100, 1e-4, WarmupType.LINEAR);

        assertThat(cosine.ratio(step)).isCloseTo(ratio, within(TOLERANCE));
        assertThat(cosine.learningRate(step, 3e-3)).isCloseTo(3e-3 * ratio, within(TOLERANCE));
    }

    @Test
    void shouldStartCosineWarmupAtMinRatioWhenWarmupMinRatioIsSet() {
        final SchedulerConfig.WarmupCosineLR cosine =
            new SchedulerConfig.WarmupCosineLR(5000, 0.1, 1000, 1e-4, WarmupType.LOG);

        assertThat(cosine.ratio(0)).isCloseTo(0.1, within(TOLERANCE));
        assertThat(cosine.ratio(9)).isCloseTo(0.1 + (1.0 / 3) * 0.9, within(1e-12)); // ln(10)/ln(1000) = 1/3: 0.4
        assertThat(cosine.ratio(1000)).isCloseTo(1e-4 + 0.9999 * (1 + Math.cos(Math.PI / 4000)) / 2, within(TOLERANCE));
    }

    @Test
    void shouldComposeOptimizerLrAndScheduleWhenAskedForTheConfigsLearningRate() {
        final DeepSpeedConfig config = DeepSpeedConfigReader.resolve("""
            {"optimizer": {"type": "AdamW", "params": {"lr": 2e-3}},
             "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 1100, "warmup_num_steps": 100,
               "warmup_type": "linear"}}}""", ResolveContext.ofWorldSize(1)).config();

        assertThat(config.learningRate(50)).isCloseTo(1e-3, within(TOLERANCE));
        assertThat(config.learningRate(599)).isCloseTo(2e-3 * 0.50005, within(TOLERANCE));
    }

    @Test
    void shouldRefuseNegativeStepWhenAskedForLearningRate() {
        final SchedulerConfig warmup = new SchedulerConfig.WarmupLR(0.0, 1e-3, 10, WarmupType.LOG);

        assertThatThrownBy(() -> warmup.learningRate(-1, 1e-3)).isInstanceOf(IllegalArgumentException.class);
    }
}
