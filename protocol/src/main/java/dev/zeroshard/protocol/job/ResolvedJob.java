package dev.zeroshard.protocol.job;

import dev.zeroshard.protocol.config.ResolvedDeepSpeedConfig;
import dev.zeroshard.protocol.v1.DataSpec;
import dev.zeroshard.protocol.v1.JobSpec;
import dev.zeroshard.protocol.v1.ModelConfig;

import java.util.Objects;

/**
 * A validated job: the spec with every default filled in (model defaults, data source, sequence
 * length, world size, backend) and its DeepSpeed config resolved for that world size.
 *
 * @param spec      the spec as it will run.
 * @param deepspeed the resolved DeepSpeed config, with where each value came from.
 */
public record ResolvedJob(JobSpec spec, ResolvedDeepSpeedConfig deepspeed) {
    public ResolvedJob {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(deepspeed, "deepspeed");
    }

    public ModelConfig model() {
        return spec.getModel();
    }

    public int worldSize() {
        return spec.getWorldSize();
    }

    /** A human-readable description: {@link #summary()} and the resolved DeepSpeed config, key by key. */
    public String describe() {
        return summary() + "deepspeed config (resolved):\n" + deepspeed.describe().indent(2);
    }

    /** A few lines: the job, the model, the data, training and checkpoints. */
    public String summary() {
        final ModelConfig model = model();
        final DataSpec data = spec.getData();
        final StringBuilder out = new StringBuilder();
        out.append("job          ").append(spec.getName()).append('\n');
        out.append("model        GPT-2, ").append(model.getNLayer()).append(" layers, n_embd ").append(model.getNEmbd())
            .append(", ").append(model.getNHead()).append(" heads, vocab ").append(model.getVocabSize())
            .append(", n_positions ").append(model.getNPositions()).append(", ")
            .append(String.format("%,d", ModelConfigs.parameterCount(model))).append(" parameters\n");
        out.append("data         ").append(describeSource(data)).append(", tokenizer ").append(data.getTokenizer())
            .append(", seq_len ").append(data.getSeqLen()).append('\n');
        out.append("training     ").append(spec.getMaxSteps()).append(" steps, seed ").append(spec.getSeed())
            .append(", world size ").append(spec.getWorldSize()).append(", backend ").append(spec.getBackend())
            .append('\n');
        final var config = deepspeed.config();
        out.append("deepspeed    ZeRO stage ").append(config.zero().stage()).append(", ")
            .append(config.precision().bf16() ? "bf16" : "fp32").append(", micro-batch ")
            .append(config.batch().microBatchPerGpu()).append(" x accumulation ")
            .append(config.batch().gradientAccumulationSteps()).append(" x world ")
            .append(config.batch().worldSize()).append(" = batch ").append(config.batch().trainBatchSize())
            .append(", ").append(config.optimizer().type().jsonName()).append(" lr ").append(config.optimizer().lr())
            .append('\n');
        if (!spec.getCheckpoint().getDir().isEmpty()) {
            out.append("checkpoints  ").append(spec.getCheckpoint().getDir()).append(", every ")
                .append(spec.getCheckpoint().getSaveEverySteps()).append(" steps\n");
        }
        return out.toString();
    }

    private static String describeSource(final DataSpec data) {
        return switch (data.getSourceCase()) {
            case BUILTIN -> "built-in \"" + data.getBuiltin() + "\"";
            case TEXT_FILE -> "text " + data.getTextFile();
            case JSONL_FILE -> "jsonl " + data.getJsonlFile();
            case TOKEN_FILE -> "tokens " + data.getTokenFile();
            case SOURCE_NOT_SET -> "none";
        };
    }
}
