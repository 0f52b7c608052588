package dev.zeroshard.cli;

import dev.zeroshard.worker.ops.Parallel;
import picocli.CommandLine.Option;

/** The {@code --threads} option of every command that computes, as a picocli mixin. */
final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "K", description = "compute threads (default: the number of cores)")
    private Integer threads;

    /** The requested thread count, or null for the default. */
    Integer threads() {
        return threads;
    }

    /** Sizes the compute pool; call before the first kernel or GEMM runs. */
    void apply() {
        Parallel.configure(threads == null ? Runtime.getRuntime().availableProcessors() : threads);
    }
}
