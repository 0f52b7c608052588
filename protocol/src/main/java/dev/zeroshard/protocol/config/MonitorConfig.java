package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * DeepSpeed's metric sinks that zeroshard writes: the {@code tensorboard} and {@code csv_monitor}
 * sections. ({@code wandb} is refused: use {@code csv_monitor}.)
 *
 * @param tensorboard the {@code tensorboard} section.
 * @param csvMonitor  the {@code csv_monitor} section.
 */
public record MonitorConfig(MonitorTarget tensorboard, MonitorTarget csvMonitor) {
    public static final String TENSORBOARD = "tensorboard";
    public static final String CSV_MONITOR = "csv_monitor";

    /** Both sinks off. */
    public static final MonitorConfig DISABLED = new MonitorConfig(MonitorTarget.DISABLED, MonitorTarget.DISABLED);

    public MonitorConfig {
        Objects.requireNonNull(tensorboard, "tensorboard");
        Objects.requireNonNull(csvMonitor, "csvMonitor");
    }
}
