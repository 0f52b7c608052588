package dev.zeroshard.cli;

import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.protocol.config.ZeroConfig;
import dev.zeroshard.protocol.job.ModelConfigs;
import dev.zeroshard.protocol.v1.ModelConfig;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.zero.MemoryEstimator;
import dev.zeroshard.worker.zero.MemoryReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * {@code zeroshard estimate}: the bytes each rank will hold for a model, a DeepSpeed config and a world size, by
 * kind, activations and communication buffers included, and how the four ZeRO stages compare.
 */
@Command(
    name = "estimate",
    mixinStandardHelpOptions = true,
    description = "Estimate per-rank memory by kind (parameters, gradients, master weights, optimizer moments, "
        + "communication buffers, activations) for a model, a DeepSpeed config and a world size.")
final class EstimateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "CONFIG_JSON", description = "Hugging Face GPT-2 config.json")
    private Path modelFile;

    @Option(names = "--deepspeed", required = true, paramLabel = "DS_CONFIG", description = "DeepSpeed JSON config")
    private Path deepspeedFile;

    @Option(names = "--world-size", defaultValue = "1", paramLabel = "N", description = "ranks (default: ${DEFAULT-VALUE})")
    private int worldSize;

    @Option(names = "--seq", paramLabel = "T", description = "sequence length (default: n_positions)")
    private Integer seqLen;

    @Option(names = "--steps", paramLabel = "N",
        description = "total steps, for a scheduler's \"auto\" total_num_steps (memory does not depend on it)")
    private Long steps;

    @Option(names = "--json", description = "print the configured stage's estimate as JSON")
    private boolean json;

    @Override
    public Integer call() {
        final ModelConfig model = ModelConfigs.read(modelFile);
        final GptConfig gpt = GptConfig.of(model);
        final int seq = seqLen == null ? gpt.maxSeqLen() : seqLen;
        if (seq < 1 || seq > gpt.maxSeqLen()) {
            throw new IllegalArgumentException("--seq=" + seq + " must lie in [1, n_positions=" + gpt.maxSeqLen() + "]");
        }
        // memory does not depend on the schedule: without --steps, an "auto" total_num_steps gets any valid value
        final DeepSpeedConfig config = DeepSpeedConfigReader.resolve(deepspeedFile, new ResolveContext(worldSize,
            OptionalInt.of(gpt.channels()), OptionalLong.of(steps == null ? Integer.MAX_VALUE : steps))).config();
        final MemoryReport estimate = MemoryEstimator.estimate(gpt, seq, config, worldSize);
        final PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(estimate.toJson());
            return 0;
        }
        final long psi = new GptLayout(gpt).totalElements();
        out.printf(Locale.ROOT, "per-rank memory: %,d parameters, ZeRO stage %d, %d ranks, micro-batch %d x %d tokens, "
                + "%s%n", psi, config.zero().stage(), worldSize, config.batch().microBatchPerGpu(), seq,
            config.precision().bf16() ? "bf16" : "fp32");
        out.println(estimate.describe());
        out.println();
        out.println("  stage   model states        total   (same config, other stages)");
        for (int stage = 0; stage <= 3; stage++) {
            final DeepSpeedConfig other = withStage(config, stage);
            if (other == null) {
                out.printf(Locale.ROOT, "  %d       (not valid with this config's offload settings)%n", stage);
                continue;
            }
            final MemoryReport report = MemoryEstimator.estimate(gpt, seq, other, worldSize);
            out.printf(Locale.ROOT, "  %d    %10.2f MiB %10.2f MiB%s%n", stage, report.modelStates() / 1048576.0,
                report.total() / 1048576.0, stage == config.zero().stage() ? "   <- configured" : "");
        }
        return 0;
    }

    private static DeepSpeedConfig withStage(final DeepSpeedConfig config, final int stage) {
        final ZeroConfig zero = config.zero();
        try {
            final ZeroConfig changed = new ZeroConfig(stage, zero.reduceBucketSize(), zero.allgatherBucketSize(),
                zero.overlapComm(), zero.contiguousGradients(), zero.reduceScatter(), zero.allgatherPartitions(),
                zero.offloadOptimizer(), zero.offloadParam(), zero.stage3PrefetchBucketSize(),
                zero.stage3ParamPersistenceThreshold(), zero.stage3MaxLiveParameters(), zero.stage3MaxReuseDistance());
            return new DeepSpeedConfig(config.batch(), changed, config.precision(), config.optimizer(),
                config.scheduler(), config.gradientClipping(), config.monitor(), config.logging());
        } catch (final ConfigException invalid) {
            return null;
        }
    }
}
