package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.worker.train.RankTraining;
import dev.zeroshard.worker.train.StepMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Resuming from a checkpoint: with the same world size and stage the run continues bit for bit; with another
 * world size and stage (the same global batch) the checkpoint is resharded at load time and the continued losses
 * match the uninterrupted run within the changed reduction order's rounding.
 */
class ZeroCheckpointTest extends OnRankThreads {
    private static final int STEPS = 20;
    private static final int SAVED_AT = 10;
    /**
     * Continued losses after resharding, relative: the sum over ranks is added in another order (another N or
     * another stage family), so gradients differ in the last bits and the difference grows over the 10 steps
     * after the load; measured at most 2.8e-8 over these four cases (fp32), asserted at 1e-6.
     */
    private static final double RESHARDED_TOLERANCE = 1e-6;

    private static ResolvedJob job(final int world, final int stage, final int accumulation, final boolean bf16,
                                   final long maxSteps, final Path checkpoints, final int saveEvery,
                                   final String resume) {
        final String json = """
            {"name": "ckpt", "model": {"vocab_size": 256, "n_positions": 16, "n_embd": 32, "n_layer": 2, "n_head": 2},
             "data": {"builtin": "patterns", "seq_len": 16},
             "deepspeed": {"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": %d,
               "bf16": {"enabled": %b}, "gradient_clipping": 1.0,
               "zero_optimization": {"stage": %d, "overlap_comm": true, "reduce_bucket_size": 3000,
                 "allgather_bucket_size": 5000, "stage3_param_persistence_threshold": 1000},
               "optimizer": {"type": "AdamW", "params": {"lr": 3e-3, "weight_decay": 0.1}}},
             "max_steps": %d, "seed": 5, "world_size": %d,
             "checkpoint": {"dir": "%s", "save_every_steps": %d, "resume": "%s"}}"""
            .formatted(accumulation, bf16, stage, maxSteps, world, checkpoints == null ? "" : checkpoints, saveEvery,
                resume);
        return JobSpecs.readJson(json);
    }

    /** Runs {@code job} on its ranks; returns rank 0's metrics and final master weights. */
    private static Run run(final ResolvedJob job) throws Exception {
        final String runId = UUID.randomUUID().toString();
        return ranks.run(job.worldSize(), comm -> {
            try (RankTraining training = RankTraining.create(job, comm, Optional.empty(), NonFinitePolicy.STOP,
                runId, message -> { })) {
                final List<StepMetrics> metrics = new ArrayList<>();
                training.run(metrics::add);
                return new Run(metrics, training.engine().gatherMasterWeights());
            }
        }).get(0);
    }

    private record Run(List<StepMetrics> metrics, float[] master) {
    }

    @ParameterizedTest(name = "N={0} stage {1} bf16={2}")
    @CsvSource({"1,0,false", "2,1,false", "3,2,true", "2,3,false", "2,3,true"})
    void shouldContinueBitForBitFromACheckpointOfTheSameWorldSizeAndStage(final int world, final int stage,
                                                                          final boolean bf16, @TempDir final Path dir)
        throws Exception {
        final Run uninterrupted = run(job(world, stage, 1, bf16, STEPS, null, 0, ""));
        run(job(world, stage, 1, bf16, SAVED_AT, dir, SAVED_AT, ""));
        final Run resumed = run(job(world, stage, 1, bf16, STEPS, dir, 0, "latest"));

        assertThat(resumed.metrics()).hasSize(STEPS - SAVED_AT);
        for (int i = 0; i < STEPS - SAVED_AT; i++) {
            final StepMetrics expected = uninterrupted.metrics().get(SAVED_AT + i);
            assertThat(resumed.metrics().get(i).step()).isEqualTo(expected.step());
            assertThat(resumed.metrics().get(i).loss()).as("loss at step " + expected.step())
                .isEqualTo(expected.loss());
        }
        assertThat(resumed.master()).as("final master weights").containsExactly(uninterrupted.master());
    }

    @ParameterizedTest(name = "{0} ranks stage {1} -> {3} ranks stage {4}")
    @CsvSource({"1,0,4,4,3,1", "4,1,3,3,2,4", "2,3,2,4,1,1", "2,2,2,1,0,4"})
    void shouldReshardAtLoadTimeToAnotherWorldSizeAndStage(final int savedWorld, final int savedStage,
                                                           final int savedAccumulation, final int world,
                                                           final int stage, final int accumulation,
                                                           @TempDir final Path dir) throws Exception {
        final Run uninterrupted = run(job(savedWorld, savedStage, savedAccumulation, false, STEPS, null, 0, ""));
        run(job(savedWorld, savedStage, savedAccumulation, false, SAVED_AT, dir, SAVED_AT, ""));
        final Run resumed = run(job(world, stage, accumulation, false, STEPS, dir, 0, "latest"));

        assertThat(resumed.metrics()).hasSize(STEPS - SAVED_AT);
        for (int i = 0; i < STEPS - SAVED_AT; i++) {
            final double expected = uninterrupted.metrics().get(SAVED_AT + i).loss();
            assertThat(resumed.metrics().get(i).loss()).as("loss at step " + (SAVED_AT + i + 1))
                .isCloseTo(expected, within(RESHARDED_TOLERANCE * expected));
        }
        assertThat(resumed.metrics().get(0).loss()).as("the first resumed step starts from the saved weights")
            .isLessThan(uninterrupted.metrics().get(0).loss());
    }

    @Test
    void shouldStartFreshWhenThereIsNothingToResume(@TempDir final Path dir) throws Exception {
        final Run fresh = run(job(2, 2, 1, false, 3, dir.resolve("empty"), 0, "latest"));

        assertThat(fresh.metrics()).extracting(StepMetrics::step).containsExactly(1L, 2L, 3L);
    }
}
