package dev.zeroshard.protocol.config;

import java.util.List;

import static dev.zeroshard.protocol.config.MonitorTarget.ENABLED;
import static dev.zeroshard.protocol.config.MonitorTarget.JOB_NAME;
import static dev.zeroshard.protocol.config.MonitorTarget.OUTPUT_PATH;

/** Reads the {@code tensorboard} and {@code csv_monitor} sections and the logging keys, with DeepSpeed's defaults. */
final class MonitorReader {
    private static final List<String> TARGET_KEYS = List.of(ENABLED, OUTPUT_PATH, JOB_NAME);

    private MonitorReader() {
    }

    /** The monitor config, or null when an error was recorded. */
    static MonitorConfig monitor(final JsonFields root) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final MonitorTarget tensorboard = target(root.object(MonitorConfig.TENSORBOARD));
        final MonitorTarget csv = target(root.object(MonitorConfig.CSV_MONITOR));
        return resolution.build(mark, () -> new MonitorConfig(tensorboard, csv));
    }

    /** The logging config, or null when an error was recorded. */
    static LoggingConfig logging(final JsonFields root) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final int stepsPerPrint = root.int32(LoggingConfig.STEPS_PER_PRINT, LoggingConfig.STEPS_PER_PRINT_RANGE, false)
            .orDefault(LoggingConfig.STEPS_PER_PRINT_DEFAULT);
        final boolean wallClock = root.bool(LoggingConfig.WALL_CLOCK_BREAKDOWN, false)
            .orDefault(LoggingConfig.WALL_CLOCK_BREAKDOWN_DEFAULT);
        return resolution.build(mark, () -> new LoggingConfig(stepsPerPrint, wallClock));
    }

    private static MonitorTarget target(final JsonFields section) {
        section.rejectUnknownKeys(TARGET_KEYS);
        final boolean enabled = section.bool(ENABLED, false).orDefault(false);
        final String outputPath = section.text(OUTPUT_PATH).orDefault(MonitorTarget.OUTPUT_PATH_DEFAULT);
        final String jobName = section.text(JOB_NAME).orDefault(MonitorTarget.JOB_NAME_DEFAULT);
        return new MonitorTarget(enabled, outputPath, jobName);
    }
}
