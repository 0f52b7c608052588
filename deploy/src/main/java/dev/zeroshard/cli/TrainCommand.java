package dev.zeroshard.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.config.JsonValues;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.worker.backend.BackendSelector;
import dev.zeroshard.worker.backend.BackendChoice;
import dev.zeroshard.worker.ops.Parallel;
import dev.zeroshard.worker.train.LocalTraining;
import dev.zeroshard.worker.train.StepMetrics;
import dev.zeroshard.worker.train.TrainingSetup;
import dev.zeroshard.worker.zero.NonFinitePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code zeroshard train}: single-process training from a DeepSpeed config and a model config. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Train a GPT-2 in this process, or with --ranks N as N local JVMs under ZeRO. Micro-batch, "
        + "gradient accumulation, bf16, optimizer, scheduler and zero_optimization come from the DeepSpeed "
        + "config.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--deepspeed", required = true, paramLabel = "DS_CONFIG", description = "DeepSpeed JSON config")
    private Path deepspeedFile;

    @Option(names = "--model", required = true, paramLabel = "CONFIG_JSON", description = "Hugging Face GPT-2 config.json")
    private Path modelFile;

    @Option(names = "--data", paramLabel = "PATH",
        description = "token file (.bin, llm.c/nanoGPT layout), JSONL (.jsonl, \"text\" field) or text file; "
            + "default: the built-in data set")
    private Path data;

    @Option(names = "--steps", required = true, paramLabel = "N", description = "optimizer steps")
    private long steps;

    @Option(names = "--seq", paramLabel = "T", description = "sequence length (default: n_positions)")
    private int seqLen;

    @Option(names = "--tokenizer", paramLabel = "byte|gpt2:DIR", defaultValue = "byte",
        description = "tokenizer for text and JSONL data (default: ${DEFAULT-VALUE})")
    private String tokenizer;

    @Mixin
    private ThreadsOption threads;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1234", description = "seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--metrics-out", paramLabel = "FILE", description = "one JSON line per step")
    private Path metricsOut;

    @Option(names = "--init-weights", paramLabel = "FILE", description = "start from these safetensors weights")
    private Path initWeights;

    @Option(names = "--save-weights", paramLabel = "FILE", description = "write the final weights as safetensors")
    private Path saveWeights;

    @Option(names = "--ranks", defaultValue = "1", paramLabel = "N",
        description = "data-parallel ranks, each its own JVM on this machine (default: ${DEFAULT-VALUE}, this process)")
    private int ranks;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "auto|cpu|cuda",
        description = "compute backend (default: ${DEFAULT-VALUE}: cuda where a GPU, its driver and the kernels are "
            + "there and the model suits it, else cpu, saying why)")
    private String backend;

    @Option(names = "--on-nonfinite", defaultValue = "stop", paramLabel = "stop|skip",
        description = "with --ranks > 1: stop the job on a NaN/Inf gradient, or skip that step (default: "
            + "${DEFAULT-VALUE}; one process always stops)")
    private String onNonFinite;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "where checkpoints go (one directory per step)")
    private Path checkpointDir;

    @Option(names = "--save-every", defaultValue = "0", paramLabel = "N",
        description = "save a checkpoint every N steps (and at the last step) (default: only at the last step)")
    private int saveEvery;

    @Option(names = "--keep-last", defaultValue = "0", paramLabel = "K",
        description = "keep the newest K checkpoints (default: all)")
    private int keepLast;

    @Option(names = "--resume", paramLabel = "latest|PATH",
        description = "continue from the latest valid checkpoint under --checkpoint-dir, or from PATH; --steps is "
            + "then the total step count to reach")
    private String resume;

    @Override
    public Integer call() throws Exception {
        if (saveEvery < 0 || keepLast < 0) {
            throw new ParameterException(spec.commandLine(), "--save-every=" + saveEvery + " and --keep-last="
                + keepLast + " must be >= 0");
        }
        if (checkpointDir == null && (saveEvery > 0 || keepLast > 0 || "latest".equals(resume))) {
            throw new ParameterException(spec.commandLine(),
                "--save-every, --keep-last and --resume latest need --checkpoint-dir");
        }
        if (ranks < 1) {
            throw new ParameterException(spec.commandLine(), "--ranks=" + ranks + " must be >= 1");
        }
        if (NonFinitePolicy.parse(onNonFinite) != NonFinitePolicy.STOP && ranks == 1) {
            throw new ParameterException(spec.commandLine(), "--on-nonfinite=" + onNonFinite
                + " needs --ranks > 1: one process always stops on a NaN/Inf loss or gradient");
        }
        // outputs written after training: a path that cannot be written must fail now, not lose the trained weights
        writableTarget("--save-weights", saveWeights);
        writableTarget("--metrics-out", metricsOut);
        final ObjectNode job = JsonNodeFactory.instance.objectNode();
        job.put("name", "train");
        job.set("model", JsonValues.readTree(modelFile));
        job.set("deepspeed", JsonValues.readTree(deepspeedFile));
        final ObjectNode dataSpec = job.putObject("data");
        if (data != null) {
            final String name = data.getFileName().toString().toLowerCase(Locale.ROOT);
            final String kind = name.endsWith(".bin") ? "token_file" : name.endsWith(".jsonl") ? "jsonl_file" : "text_file";
            dataSpec.put(kind, data.toString());
        }
        dataSpec.put("tokenizer", tokenizer);
        dataSpec.put("seq_len", seqLen);
        job.put("max_steps", steps);
        job.put("seed", seed);
        job.put("world_size", ranks);
        job.put("backend", backend);
        if (checkpointDir != null || resume != null) {
            final ObjectNode checkpoint = job.putObject("checkpoint");
            if (checkpointDir != null) {
                checkpoint.put("dir", checkpointDir.toAbsolutePath().toString());
            }
            checkpoint.put("save_every_steps", saveEvery);
            checkpoint.put("keep_last", keepLast);
            if (resume != null) {
                checkpoint.put("resume", "latest".equals(resume) ? resume : Path.of(resume).toAbsolutePath().toString());
            }
        }
        final ResolvedJob resolved = JobSpecs.resolve(JobSpecs.parse(job));
        if (ranks > 1) {
            rankBackend(resolved);
            return LocalRanks.run(spec.commandLine().getOut(), spec.commandLine().getErr(), resolved,
                new LocalRanks.RankOptions(threads.threads(), metricsOut, Optional.ofNullable(initWeights),
                    Optional.ofNullable(saveWeights), onNonFinite));
        }
        return train(spec.commandLine().getOut(), resolved, threads, metricsOut, Optional.ofNullable(initWeights),
            Optional.ofNullable(saveWeights));
    }

    /** Refuses {@code file} (when given) unless its directory exists and can be written and it is no directory. */
    private static void writableTarget(final String flag, final Path file) {
        if (file == null) {
            return;
        }
        final Path directory = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(flag + "=" + file + ": is a directory; name the file to write");
        }
        if (directory == null || !Files.isDirectory(directory)) {
            throw new IllegalArgumentException(flag + "=" + file + ": the directory " + directory + " does not exist");
        }
        if (!Files.isWritable(directory)) {
            throw new IllegalArgumentException(flag + "=" + file + ": the directory " + directory
                + " cannot be written");
        }
    }

    /**
     * Resolves the ranks' backend here first, so that {@code --backend=cuda} where it cannot run fails before any
     * rank starts; each rank then resolves it again and says so in its log.
     */
    private void rankBackend(final ResolvedJob job) {
        final BackendChoice choice = TrainingSetup.backend(job);
        if (BackendSelector.AUTO.equals(backend)) {
            spec.commandLine().getOut().println(choice.describe());
        }
    }

    /** Trains a resolved job in this process with a progress line; shared with {@code demo}. */
    static int train(final PrintWriter out, final ResolvedJob job, final ThreadsOption threads, final Path metricsOut,
        final Optional<Path> initWeights, final Optional<Path> saveWeights) throws Exception {
        threads.apply();
        final LocalTraining training = LocalTraining.create(job, initWeights, out::println);
        final long tokensPerStep = job.deepspeed().config().batch().trainBatchSize() * job.spec().getData().getSeqLen();
        out.printf(Locale.ROOT, "training %s: %,d parameters, %s, %,d tokens per step, %d threads%n",
            job.spec().getName(), training.model().layout().totalElements(),
            job.deepspeed().config().precision().bf16() ? "bf16" : "fp32", tokensPerStep, Parallel.shared().threads());
        final StepMetrics[] first = new StepMetrics[1];
        final StepMetrics[] last = new StepMetrics[1];
        try (ProgressReporter progress = new ProgressReporter(out, job.spec().getMaxSteps(),
            job.deepspeed().config().logging().stepsPerPrint(), metricsOut, training.trainer().step())) {
            training.run(step -> {
                if (first[0] == null) {
                    first[0] = step;
                }
                last[0] = step;
                progress.accept(step);
            });
        }
        if (first[0] == null) {
            out.printf(Locale.ROOT, "done: already at step %d of %d, nothing to train%n", training.trainer().step(),
                job.spec().getMaxSteps());
        } else {
            out.printf(Locale.ROOT, "done: loss %.4f -> %.4f over %d steps (steps %d to %d)%n", first[0].loss(),
                last[0].loss(), last[0].step() - first[0].step() + 1, first[0].step(), last[0].step());
        }
        if (saveWeights.isPresent()) {
            training.saveWeights(saveWeights.get());
            out.println("weights written to " + saveWeights.get());
        }
        return 0;
    }
}
