package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.sharded.AsyncCheckpointer;
import dev.zeroshard.checkpoints.sharded.Checkpoint;
import dev.zeroshard.checkpoints.sharded.CheckpointStore;
import dev.zeroshard.checkpoints.sharded.FaultInjector;
import dev.zeroshard.checkpoints.sharded.ShardSnapshot;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.CheckpointManifest;
import dev.zeroshard.protocol.v1.CheckpointSpec;
import dev.zeroshard.protocol.v1.DataPosition;
import dev.zeroshard.protocol.v1.TensorEntry;
import dev.zeroshard.sharding.layout.TensorRange;
import dev.zeroshard.worker.data.DataLoader;
import dev.zeroshard.worker.model.GptLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A job's checkpoint policy on one rank (its {@code checkpoint} spec: root, every how many steps, how many to keep,
 * what to resume from): resumes a {@link CheckpointTarget} and its data loader, and after each step hands a
 * snapshot to the background writer when one is due (every {@code save_every_steps} and at the last step).
 */
public final class Checkpointing implements AutoCloseable {
    /** How long rank 0 waits for the other ranks' shards before giving up on a save. */
    public static final long COMMIT_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(10);

    private final ResolvedJob job;
    private final GptLayout layout;
    private final int worldSize;
    private final int stage;
    private final CheckpointStore store;
    private final CheckpointSpec spec;
    private final Consumer<String> log;
    private AsyncCheckpointer writer;
    private Checkpoint loaded;
    /** Host buffers of the shard, allocated (and touched) once; the writer has them until its save is done. */
    private ShardSnapshot buffers;

    private Checkpointing(final ResolvedJob job, final GptLayout layout, final int worldSize, final int stage,
                          final Consumer<String> log) {
        this.job = job;
        this.layout = layout;
        this.worldSize = worldSize;
        this.stage = stage;
        this.spec = job.spec().getCheckpoint();
        this.store = spec.getDir().isEmpty() ? null : new CheckpointStore(Path.of(spec.getDir()));
        this.log = log;
    }

    /** The policy of {@code job} for a run of {@code worldSize} ranks at ZeRO stage {@code stage}. */
    public static Checkpointing of(final ResolvedJob job, final GptLayout layout, final int worldSize, final int stage,
                                   final Consumer<String> log) {
        return new Checkpointing(job, layout, worldSize, stage, log);
    }

    /** Whether the job saves checkpoints at all. */
    public boolean enabled() {
        return store != null;
    }

    /**
     * Resumes {@code target} and {@code data} as the job's {@code resume} says ("" nothing, "latest", or a path);
     * "latest" with no valid checkpoint starts fresh, saying so.
     *
     * @return the checkpoint resumed from, if any.
     */
    public Optional<Checkpoint> resume(final CheckpointTarget target, final DataLoader data) throws IOException {
        final String resume = spec.getResume();
        if (resume.isEmpty()) {
            return Optional.empty();
        }
        if ("latest".equals(resume) && store == null) {
            throw new IllegalArgumentException("resume=latest needs a checkpoint dir");
        }
        final CheckpointStore where = store != null ? store : new CheckpointStore(Path.of(resume).getParent());
        final Optional<Checkpoint> checkpoint = where.resolve(resume, log);
        if (checkpoint.isEmpty()) {
            log.accept("no valid checkpoint under " + where.root() + "; starting from step 0");
            return Optional.empty();
        }
        final Checkpoint found = checkpoint.get();
        found.checkModel(job.model());
        target.restore(found);
        data.seek(new DataLoader.Position(found.trainingState().dataEpoch(), found.trainingState().dataIndex()));
        loaded = found;
        log.accept("resumed from " + found.directory() + " (step " + found.step() + ", written by "
            + found.manifest().getWorldSize() + " rank(s) at ZeRO stage " + found.manifest().getZeroStage() + ")");
        return checkpoint;
    }

    /**
     * Allocates the host buffers saves copy the shard into, now rather than at the first save (whose copy would
     * otherwise pay for fresh memory: seconds for a large shard); nothing when the job does not checkpoint.
     */
    public void prepare(final CheckpointTarget target) {
        if (store != null && buffers == null) {
            buffers = target.snapshot(null);
        }
    }

    /**
     * After a step: when a save is due, snapshots {@code target} (the only work on this thread) and hands it to the
     * background writer; the previous save must have finished first.
     */
    public void afterStep(final CheckpointTarget target, final DataLoader data, final int rank, final String runId) {
        if (store == null) {
            return;
        }
        final long step = target.step();
        final boolean due = spec.getSaveEverySteps() > 0 && step % spec.getSaveEverySteps() == 0
            || step == job.spec().getMaxSteps();
        if (!due) {
            return;
        }
        if (writer == null) {
            writer = new AsyncCheckpointer(store, rank, runId, spec.getKeepLast(), COMMIT_TIMEOUT_NS,
                loaded == null ? null : loaded.directory(), FaultInjector.NONE, log);
        }
        final long waitStart = System.nanoTime();
        writer.awaitPrevious();
        final long copyStart = System.nanoTime();
        buffers = target.snapshot(buffers);
        final long copied = System.nanoTime();
        writer.save(buffers, manifest(step, target.optimizerStep(), data.position()));
        log.accept(String.format(Locale.ROOT, "step %d: shard copied for the background writer in %.1f ms (waited "
            + "%.1f ms for the previous save)", step, (copied - copyStart) / 1e6, (copyStart - waitStart) / 1e6));
    }

    private CheckpointManifest manifest(final long step, final long optimizerStep,
                                        final DataLoader.Position position) {
        final CheckpointManifest.Builder manifest = CheckpointManifest.newBuilder()
            .setFormatVersion(Checkpoint.FORMAT_VERSION)
            .setStep(step)
            .setOptimizerStep(optimizerStep)
            .setModel(job.model())
            .setDeepspeedJson(job.deepspeed().toJson().toString())
            .setWorldSize(worldSize)
            .setZeroStage(stage)
            .setBf16(job.deepspeed().config().precision().bf16())
            .setTotalElements(layout.totalElements())
            .setData(DataPosition.newBuilder().setEpoch(position.epoch()).setIndex(position.index()))
            .setSeed(job.spec().getSeed())
            .setCreatedUnixMs(System.currentTimeMillis());
        for (final TensorRange tensor : layout.parameters().tensors()) {
            manifest.addTensors(TensorEntry.newBuilder().setName(tensor.name())
                .addAllShape(Arrays.stream(tensor.shape()).boxed().toList()).setOffset(tensor.offsetElements()));
        }
        return manifest.build();
    }

    /** Waits until the last save is durable (committed, on rank 0). */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }
}
