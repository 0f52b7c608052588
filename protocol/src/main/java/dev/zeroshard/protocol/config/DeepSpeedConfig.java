package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * A DeepSpeed config as zeroshard runs it: every value resolved (defaults applied, {@code "auto"}
 * replaced) and validated, one record per concern. Read one with {@link DeepSpeedConfigReader}.
 *
 * @param batch            batch sizes for the world size it was resolved at.
 * @param zero             {@code zero_optimization}.
 * @param precision        {@code bf16} / {@code fp16}.
 * @param optimizer        {@code optimizer}.
 * @param scheduler        {@code scheduler}; {@link SchedulerConfig#NONE} without one.
 * @param gradientClipping {@code gradient_clipping}.
 * @param monitor          {@code tensorboard} and {@code csv_monitor}.
 * @param logging          {@code steps_per_print} and {@code wall_clock_breakdown}.
 */
public record DeepSpeedConfig(
    BatchConfig batch,
    ZeroConfig zero,
    PrecisionConfig precision,
    OptimizerConfig optimizer,
    SchedulerConfig scheduler,
    GradientClipping gradientClipping,
    MonitorConfig monitor,
    LoggingConfig logging) {

    public DeepSpeedConfig {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(zero, "zero");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(gradientClipping, "gradientClipping");
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(logging, "logging");
    }

    /** The learning rate of optimizer-scheduler step {@code step}: the scheduler applied to the optimizer's lr. */
    public double learningRate(final long step) {
        return scheduler.learningRate(step, optimizer.lr());
    }
}
