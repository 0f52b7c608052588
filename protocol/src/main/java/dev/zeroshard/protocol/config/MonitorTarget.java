package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * One metrics sink of DeepSpeed's monitor ({@code tensorboard} or {@code csv_monitor}): where it
 * writes and under which job name. Defaults are DeepSpeed's.
 *
 * @param enabled    whether the sink records anything.
 * @param outputPath directory to write under; empty means the launch directory.
 * @param jobName    sub-directory for this job's files.
 */
public record MonitorTarget(boolean enabled, String outputPath, String jobName) {
    public static final String ENABLED = "enabled";
    public static final String OUTPUT_PATH = "output_path";
    public static final String JOB_NAME = "job_name";

    public static final String OUTPUT_PATH_DEFAULT = "";
    public static final String JOB_NAME_DEFAULT = "DeepSpeedJobName";

    /** A sink that is off, with DeepSpeed's default path and job name. */
    public static final MonitorTarget DISABLED = new MonitorTarget(false, OUTPUT_PATH_DEFAULT, JOB_NAME_DEFAULT);

    public MonitorTarget {
        Objects.requireNonNull(outputPath, "outputPath");
        Objects.requireNonNull(jobName, "jobName");
    }
}
