package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobSpec;
import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.data.DataLoader;
import dev.zeroshard.worker.data.TokenSequence;
import dev.zeroshard.worker.data.Tokenizer;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.Precision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One process training one job on the CPU backend: the model built and initialised from the job's
 * seed (or loaded from safetensors), the data loader, and the {@link Trainer} that runs the steps.
 */
public final class LocalTraining {
    private final ResolvedJob job;
    private final CpuGpt model;
    private final DataLoader data;
    private final Trainer trainer;

    private LocalTraining(final ResolvedJob job, final CpuGpt model, final DataLoader data, final Trainer trainer) {
        this.job = job;
        this.model = model;
        this.data = data;
        this.trainer = trainer;
    }

    /**
     * Builds the model, its initial weights and the data of a resolved job.
     *
     * @param initialWeights a Hugging Face GPT-2 safetensors file to start from, else the seed's init.
     */
    public static LocalTraining create(final ResolvedJob job, final Optional<Path> initialWeights)
        throws IOException {
        final JobSpec spec = job.spec();
        if (job.worldSize() != 1) {
            throw new IllegalArgumentException("world_size=" + job.worldSize()
                + ": this build trains in one process only; several ranks arrive with the ZeRO engine");
        }
        final DeepSpeedConfig config = job.deepspeed().config();
        final GptConfig gpt = GptConfig.of(job.model());
        final Precision precision = Precision.of(config.precision().bf16());
        final Gemm gemm = precision == Precision.BF16 ? Gemms.bestBf16() : Gemms.best();
        final int microBatch = config.batch().microBatchPerGpu();
        final int seqLen = spec.getData().getSeqLen();
        final CpuGpt model = new CpuGpt(gpt, microBatch, seqLen, precision, gemm);
        if (initialWeights.isPresent()) {
            Gpt2Safetensors.load(initialWeights.get(), model.layout().parameters(), model.parameters(), 0);
        } else {
            GptInitializer.initialize(model.layout(), spec.getSeed(), model.parameters());
        }
        final Tokenizer tokenizer = TrainingData.tokenizer(spec.getData());
        if (tokenizer.vocabSize() > gpt.vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + spec.getData().getTokenizer() + " has "
                + tokenizer.vocabSize() + " tokens, more than the model's vocab_size=" + gpt.vocabSize());
        }
        final TokenSequence tokens = TrainingData.open(spec.getData(), tokenizer, spec.getSeed());
        final DataLoader data = new DataLoader(tokens, microBatch, seqLen, spec.getSeed(), 0, 1, gpt.vocabSize(),
            DataLoader.Order.SHUFFLED);
        final Trainer trainer = new Trainer(model, config, data::next, System::nanoTime);
        return new LocalTraining(job, model, data, trainer);
    }

    public ResolvedJob job() {
        return job;
    }

    public CpuGpt model() {
        return model;
    }

    public DataLoader data() {
        return data;
    }

    public Trainer trainer() {
        return trainer;
    }

    /** Trains until the job's {@code max_steps}, reporting every step. */
    public void run(final Consumer<StepMetrics> onStep) {
        while (trainer.step() < job.spec().getMaxSteps()) {
            onStep.accept(trainer.trainStep());
        }
    }

    /** Writes the fp32 master weights as a Hugging Face GPT-2 safetensors file. */
    public void saveWeights(final Path file) throws IOException {
        Gpt2Safetensors.save(file, model.layout().parameters(), trainer.masterWeights(), 0,
            dev.zeroshard.checkpoints.safetensors.Dtype.F32, java.util.Map.of("producer", "zeroshard"));
    }
}
