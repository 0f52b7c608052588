package dev.zeroshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.io.FileTrees;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.zero.CommStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code zeroshard bench zero}: ZeRO stages side by side. For each stage, N ranks run as local JVMs (as
 * {@code train --ranks N} runs them) on the preset model and the built-in data; every rank records each step's
 * time, the time it waited for collectives and the time the ring was busy. Reported per stage: the median step
 * time (the slowest rank's), tokens/s, the mean communication wait, the overlap fraction (1 - wait / busy: the
 * share of communication hidden behind compute) and the step time relative to stage 0.
 */
@Command(
    name = "zero",
    mixinStandardHelpOptions = true,
    description = {
        "Time ZeRO stages at N local ranks: step time, tokens/s, communication wait and the share of",
        "communication hidden behind compute (overlap fraction)."})
final class BenchZeroCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    /** --config, --batch, --seq, --warmup, --steps. */
    @Mixin
    private BenchShapeOptions shape;

    @Option(names = "--ranks", defaultValue = "2", paramLabel = "N", description = "ranks (default: ${DEFAULT-VALUE})")
    private int ranks;

    @Option(names = "--stages", defaultValue = "0,1,2,3", split = ",", paramLabel = "S",
        description = "stages to run (default: ${DEFAULT-VALUE})")
    private List<Integer> stages;

    @Option(names = "--precision", defaultValue = "bf16", paramLabel = "fp32|bf16",
        description = "default: ${DEFAULT-VALUE}")
    private String precision;

    @Option(names = "--overlap", defaultValue = "true", arity = "1", paramLabel = "true|false",
        description = "overlap_comm (default: ${DEFAULT-VALUE})")
    private boolean overlap;

    @Option(names = "--bucket", defaultValue = "500000", paramLabel = "ELEMENTS",
        description = "reduce, all-gather and stage-3 prefetch bucket size (default: ${DEFAULT-VALUE})")
    private long bucket;

    @Option(names = "--threads", paramLabel = "K", description = "compute threads per rank (default: cores / N)")
    private Integer threads;

    @Option(names = "--json", description = "one JSON object per stage")
    private boolean json;

    /** One stage's figures. */
    private record StageResult(int stage, double stepSeconds, double tokensPerS, CommStats comm) {
    }

    @Override
    public Integer call() throws Exception {
        final BenchCommand.Preset preset = shape.preset();
        if (ranks < 1) {
            throw new ParameterException(spec.commandLine(), "--ranks=" + ranks + ": must be >= 1");
        }
        final int b = shape.batch(preset);
        final int t = shape.seq(preset);
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter quiet = new PrintWriter(Writer.nullWriter());
        StageResult baseline = null;
        for (final int stage : stages) {
            final ResolvedJob job = JobSpecs.resolve(JobSpecs.parse(job(preset.config, b, t, stage)));
            final Path statsDir = Files.createTempDirectory("zeroshard-bench-zero-");
            final StageResult result;
            try {
                final int status = LocalRanks.run(quiet, spec.commandLine().getErr(), job, new LocalRanks.RankOptions(
                    threads, null, Optional.empty(), Optional.empty(), "stop", Optional.of(statsDir)));
                if (status != 0) {
                    spec.commandLine().getErr().println("stage " + stage + " failed with status " + status);
                    return status;
                }
                result = measure(stage, statsDir, (double) b * t * ranks);
            } finally {
                FileTrees.delete(statsDir);
            }
            if (stage == 0) {
                baseline = result;
            }
            print(out, preset, b, t, result, baseline);
        }
        return 0;
    }

    private ObjectNode job(final GptConfig gpt, final int b, final int t, final int stage) {
        final ObjectNode job = JsonNodeFactory.instance.objectNode();
        job.put("name", "bench-zero");
        final ObjectNode model = job.putObject("model");
        model.put("model_type", "gpt2");
        model.put("vocab_size", gpt.vocabSize());
        model.put("n_positions", gpt.maxSeqLen());
        model.put("n_embd", gpt.channels());
        model.put("n_layer", gpt.layers());
        model.put("n_head", gpt.heads());
        final ObjectNode data = job.putObject("data");
        data.put("builtin", JobSpecs.BUILTIN_DATASET);
        data.put("tokenizer", JobSpecs.DEFAULT_TOKENIZER);
        data.put("seq_len", t);
        final ObjectNode ds = job.putObject("deepspeed");
        ds.put("train_micro_batch_size_per_gpu", b);
        ds.put("steps_per_print", 1000);
        ds.putObject("bf16").put("enabled", "bf16".equals(precision));
        final ObjectNode zero = ds.putObject("zero_optimization");
        zero.put("stage", stage);
        zero.put("overlap_comm", overlap);
        zero.put("reduce_bucket_size", bucket);
        zero.put("allgather_bucket_size", bucket);
        zero.put("stage3_prefetch_bucket_size", Math.max(bucket, 8L * gpt.channels() * gpt.channels() * 2));
        zero.put("stage3_param_persistence_threshold", 10L * gpt.channels());
        final ObjectNode optimizer = ds.putObject("optimizer");
        optimizer.put("type", "AdamW");
        optimizer.putObject("params").put("lr", 1e-4).put("weight_decay", 0.1);
        job.put("max_steps", shape.warmup() + shape.steps());
        job.put("seed", 1);
        job.put("world_size", ranks);
        return job;
    }

    /** Reads every rank's step records; per step the slowest rank's time, the mean wait and busy time. */
    private StageResult measure(final int stage, final Path statsDir, final double tokensPerStep) throws IOException {
        final int warmup = shape.warmup();
        final int steps = shape.steps();
        final double[] stepSeconds = new double[steps];
        double wait = 0;
        double busy = 0;
        for (int rank = 0; rank < ranks; rank++) {
            final List<String> lines = Files.readAllLines(statsDir.resolve("rank-" + rank + ".jsonl"),
                StandardCharsets.UTF_8);
            for (int i = 0; i < steps; i++) {
                final JsonNode record = JSON.readTree(lines.get(warmup + i));
                stepSeconds[i] = Math.max(stepSeconds[i], record.get("step_s").asDouble());
                wait += record.get("comm_wait_s").asDouble();
                busy += record.get("comm_busy_s").asDouble();
            }
        }
        final double[] sorted = stepSeconds.clone();
        Arrays.sort(sorted);
        final double median = sorted[steps / 2];
        return new StageResult(stage, median, tokensPerStep / median, new CommStats(wait / (ranks * steps),
            busy / (ranks * steps)));
    }

    private void print(final PrintWriter out, final BenchCommand.Preset preset, final int b, final int t,
                       final StageResult result, final StageResult baseline) {
        final String name = preset.name().toLowerCase(Locale.ROOT);
        final double relative = baseline == null ? Double.NaN : result.stepSeconds() / baseline.stepSeconds();
        if (json) {
            out.println(String.format(Locale.ROOT, "{\"config\":\"%s\",\"precision\":\"%s\",\"ranks\":%d,\"stage\":%d,"
                    + "\"overlap_comm\":%b,\"step_s\":%.4f,\"tokens_per_s\":%.1f,\"comm_wait_s\":%.4f,\"comm_busy_s\":%.4f,"
                    + "\"overlap_fraction\":%.3f,\"vs_stage0\":%s,\"batch\":%d,\"seq_len\":%d}", name, precision, ranks,
                result.stage(), overlap, result.stepSeconds(), result.tokensPerS(), result.comm().waitSeconds(),
                result.comm().busySeconds(), result.comm().overlapFraction(), Double.isNaN(relative) ? "null"
                    : String.format(Locale.ROOT, "%.3f", relative), b, t));
        } else {
            out.println(String.format(Locale.ROOT, "%s %s N=%d stage %d: %.3f s/step, %,.0f tokens/s, comm wait %.3f s"
                    + " of %.3f s busy (overlap %.0f%%)%s", name, precision, ranks, result.stage(), result.stepSeconds(),
                result.tokensPerS(), result.comm().waitSeconds(), result.comm().busySeconds(), 100 * result.comm().overlapFraction(),
                Double.isNaN(relative) ? "" : String.format(Locale.ROOT, ", %.2fx stage 0", relative)));
        }
        out.flush();
    }
}
