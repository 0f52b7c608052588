package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobSpec;
import dev.zeroshard.worker.backend.BackendChoice;
import dev.zeroshard.worker.data.DataLoader;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.Precision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One process training one job on the backend its {@code backend} resolves to (the CPU, or the GPU where the CUDA
 * backend can run): the model built and initialised from the job's seed (or loaded from safetensors), the data
 * loader, and the {@link Trainer} that runs the steps.
 */
public final class LocalTraining {
    private final ResolvedJob job;
    private final GptModel model;
    private final DataLoader data;
    private final Trainer trainer;
    private final Checkpointing checkpointing;
    private final String runId = UUID.randomUUID().toString();

    private LocalTraining(final ResolvedJob job, final GptModel model, final DataLoader data, final Trainer trainer,
                          final Checkpointing checkpointing) {
        this.job = job;
        this.model = model;
        this.data = data;
        this.trainer = trainer;
        this.checkpointing = checkpointing;
    }

    /**
     * Builds the model, its initial weights and the data of a resolved job.
     *
     * @param initialWeights a Hugging Face GPT-2 safetensors file to start from, else the seed's init.
     * @param log            where the backend choice (one line) and checkpoint events are reported.
     */
    public static LocalTraining create(final ResolvedJob job, final Optional<Path> initialWeights,
                                       final Consumer<String> log) throws IOException {
        final JobSpec spec = job.spec();
        if (job.worldSize() != 1) {
            throw new IllegalArgumentException("world_size=" + job.worldSize()
                + ": one process trains one rank; several ranks run with RankTraining (zeroshard train --ranks N)");
        }
        final DeepSpeedConfig config = job.deepspeed().config();
        final GptConfig gpt = TrainingSetup.model(job);
        final Precision precision = TrainingSetup.precision(job);
        final BackendChoice backend = TrainingSetup.backend(job);
        log.accept(backend.describe());
        final GptModel model = backend.factory().create(gpt, config.batch().microBatchPerGpu(),
            spec.getData().getSeqLen(), precision);
        TrainingSetup.initialWeights(job, model.layout(), initialWeights, model.parameters());
        final DataLoader data = TrainingSetup.loader(job, gpt, 0, 1);
        final Trainer trainer = new Trainer(model, config, data::next, System::nanoTime);
        final Checkpointing checkpointing = Checkpointing.of(job, model.layout(), 1, config.zero().stage(), log);
        checkpointing.resume(trainer, data);
        checkpointing.prepare(trainer);
        return new LocalTraining(job, model, data, trainer, checkpointing);
    }

    public ResolvedJob job() {
        return job;
    }

    public GptModel model() {
        return model;
    }

    public DataLoader data() {
        return data;
    }

    public Trainer trainer() {
        return trainer;
    }

    /** Trains until the job's {@code max_steps}, reporting every step and saving checkpoints as the job says. */
    public void run(final Consumer<StepMetrics> onStep) {
        try (checkpointing) {
            while (trainer.step() < job.spec().getMaxSteps()) {
                onStep.accept(trainer.trainStep());
                checkpointing.afterStep(trainer, data, 0, runId);
            }
        }
    }

    /** Writes the fp32 master weights as a Hugging Face GPT-2 safetensors file. */
    public void saveWeights(final Path file) throws IOException {
        Gpt2Safetensors.save(file, model.layout().parameters(), trainer.masterWeights(), 0,
            dev.zeroshard.checkpoints.safetensors.Dtype.F32, java.util.Map.of("producer", "zeroshard"));
    }
}
