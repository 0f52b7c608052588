package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.safetensors.Dtype;
import dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.worker.backend.BackendChoice;
import dev.zeroshard.worker.backend.BackendKind;
import dev.zeroshard.worker.data.DataLoader;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.zero.NonFinitePolicy;
import dev.zeroshard.worker.zero.ZeroEngine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One rank of a job trained by several: the job's model, this rank's share of the data and the {@link ZeroEngine}
 * that runs the steps with its peers over {@code comm}, on the backend the job's {@code backend} resolves to. Every
 * rank builds one with the same job and weights; {@link #close()} frees the model's native or device memory.
 */
public final class RankTraining implements AutoCloseable {
    private final ResolvedJob job;
    private final GptLayout layout;
    private final ZeroEngine engine;
    private final DataLoader data;
    private final Checkpointing checkpointing;
    private final String runId;

    private RankTraining(final ResolvedJob job, final GptLayout layout, final ZeroEngine engine, final DataLoader data,
                         final Checkpointing checkpointing, final String runId) {
        this.job = job;
        this.layout = layout;
        this.engine = engine;
        this.data = data;
        this.checkpointing = checkpointing;
        this.runId = runId;
    }

    /**
     * Builds this rank's engine and, when the job says so, resumes it from a checkpoint (every rank together).
     *
     * @param initialWeights a Hugging Face GPT-2 safetensors file to start from, else the seed's init.
     * @param runId          the same on every rank of this run (names its checkpoint staging directories).
     * @param log            where checkpoint events are reported.
     */
    public static RankTraining create(final ResolvedJob job, final Communicator comm,
                                      final Optional<Path> initialWeights, final NonFinitePolicy nonFinitePolicy,
                                      final String runId, final Consumer<String> log)
        throws IOException {
        if (job.worldSize() != comm.worldSize()) {
            throw new IllegalArgumentException("the job has world_size=" + job.worldSize() + " but the ring has "
                + comm.worldSize() + " ranks");
        }
        final GptConfig gpt = TrainingSetup.model(job);
        final GptLayout layout = new GptLayout(gpt);
        final float[] weights = new float[layout.totalElements()];
        TrainingSetup.initialWeights(job, layout, initialWeights, weights);
        final DataLoader data = TrainingSetup.loader(job, gpt, comm.rank(), comm.worldSize());
        final BackendChoice backend = TrainingSetup.backend(job);
        log.accept(backend.describe());
        if (backend.kind() == BackendKind.CUDA) {
            log.accept("optimizer: AdamW and the fp32 master shard on the host (offload_optimizer.device="
                + job.deepspeed().config().zero().offloadOptimizer().jsonName() + "): the ring reduces gradients on "
                + "the host, so the step runs beside them, as ZeRO-Offload does");
        }
        final ZeroEngine engine = new ZeroEngine(gpt, job.spec().getData().getSeqLen(), job.deepspeed().config(),
            backend.factory(), comm, data::next, nonFinitePolicy, weights);
        try {
            final Checkpointing checkpointing = Checkpointing.of(job, layout, comm.worldSize(),
                engine.settings().stage(), log);
            checkpointing.resume(engine, data);
            checkpointing.prepare(engine);
            return new RankTraining(job, layout, engine, data, checkpointing, runId);
        } catch (final IOException | RuntimeException | Error failure) {
            engine.close();
            throw failure;
        }
    }

    /** Frees the model's native or device memory. */
    @Override
    public void close() {
        engine.close();
    }

    public ResolvedJob job() {
        return job;
    }

    public ZeroEngine engine() {
        return engine;
    }

    /**
     * Trains until the job's {@code max_steps}, reporting every step and saving checkpoints as the job says;
     * returns once the last checkpoint is durable.
     */
    public void run(final Consumer<StepMetrics> onStep) {
        try (checkpointing) {
            while (engine.step() < job.spec().getMaxSteps()) {
                onStep.accept(engine.trainStep());
                checkpointing.afterStep(engine, data, engine.rank(), runId);
            }
        }
    }

    /**
     * Gathers the fp32 master weights (every rank must call this) and, on rank 0, writes them as a Hugging Face
     * GPT-2 safetensors file.
     */
    public void saveWeights(final Path file) throws IOException {
        final float[] master = engine.gatherMasterWeights();
        if (engine.rank() == 0) {
            Gpt2Safetensors.save(file, layout.parameters(), master, 0, Dtype.F32, Map.of("producer", "zeroshard"));
        }
    }
}
