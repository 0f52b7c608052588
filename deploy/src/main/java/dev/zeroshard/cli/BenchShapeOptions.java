package dev.zeroshard.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.Locale;

/**
 * What every training benchmark ({@code bench train}, {@code bench zero}) measures, as a picocli mixin: the model
 * preset, its micro-batch and sequence length, and the untimed and timed steps.
 */
final class BenchShapeOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "tiny|small|gpt2s",
        description = "tiny (L2 d64 T64 B8), small (L4 d256 T256 B8), gpt2s (L12 d768 T256 B4, V 50257)")
    private String config;

    @Option(names = "--batch", paramLabel = "B", description = "override the preset's micro-batch")
    private Integer batch;

    @Option(names = "--seq", paramLabel = "T", description = "override the preset's sequence length")
    private Integer seq;

    @Option(names = "--warmup", defaultValue = "2", paramLabel = "N", description = "untimed steps (default: ${DEFAULT-VALUE})")
    private int warmup;

    @Option(names = "--steps", defaultValue = "5", paramLabel = "N", description = "timed steps (default: ${DEFAULT-VALUE})")
    private int steps;

    /** The preset named by {@code --config}, after checking {@code --warmup} and {@code --steps}. */
    BenchCommand.Preset preset() {
        if (warmup < 0 || steps < 1) {
            throw new ParameterException(spec.commandLine(), "--warmup must be >= 0 and --steps >= 1");
        }
        try {
            return BenchCommand.Preset.valueOf(config.toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException ex) {
            throw new ParameterException(spec.commandLine(), "--config=" + config + ": must be tiny, small or gpt2s");
        }
    }

    /** The name given to {@code --config}. */
    String config() {
        return config;
    }

    /** {@code --batch}, else the preset's micro-batch. */
    int batch(final BenchCommand.Preset preset) {
        return batch == null ? preset.batch : batch;
    }

    /** {@code --seq}, else the preset's sequence length. */
    int seq(final BenchCommand.Preset preset) {
        return seq == null ? preset.seqLen : seq;
    }

    int warmup() {
        return warmup;
    }

    int steps() {
        return steps;
    }
}
