package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.worker.backend.GptModelFactory;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.data.DataLoader;
import dev.zeroshard.worker.data.TokenArray;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.train.BatchSource;
import dev.zeroshard.worker.train.StepMetrics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The test of everything: N ranks at every stage, with and without overlap, with and without gradient
 * accumulation, produce bit for bit the losses, gradient norms and weights of the single-process run that adds
 * the ranks' gradients in the documented order — in fp32 and in bf16 (where the bf16 roundings happen at the same
 * points on the same values, so the tolerance is zero too) — and every rank holds the same weights after every
 * step.
 */
class ZeroEquivalenceTest extends OnRankThreads {
    /** Ψ = 33,145: divisible by none of 2, 3, 4, so shards are padded. */
    static final GptConfig GPT = GptConfig.gpt2(63, 16, 35, 2, 5);
    static final int SEQ_LEN = 16;
    static final int MICRO_BATCH = 2;
    static final int STEPS = 20;
    static final long SEED = 1234;
    private static final Map<String, List<SingleProcessReference.Step>> REFERENCES = new ConcurrentHashMap<>();
    private static final Map<String, List<Long>> REFERENCE_CHECKSUMS = new ConcurrentHashMap<>();

    static Stream<Arguments> fp32Cases() {
        final List<Arguments> cases = new ArrayList<>();
        for (final int world : new int[] {2, 3, 4}) {
            for (int stage = 0; stage <= 3; stage++) {
                for (final boolean overlap : new boolean[] {true, false}) {
                    for (final int accumulation : new int[] {1, 4}) {
                        cases.add(Arguments.of(world, stage, overlap, accumulation));
                    }
                }
            }
        }
        return cases.stream();
    }

    static Stream<Arguments> bf16Cases() {
        final List<Arguments> cases = new ArrayList<>();
        for (final int world : new int[] {2, 3, 4}) {
            for (int stage = 0; stage <= 3; stage++) {
                cases.add(Arguments.of(world, stage, true, world == 3 ? 4 : 1));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "fp32 N={0} stage {1} overlap={2} accumulation={3}")
    @MethodSource("fp32Cases")
    void shouldMatchTheSingleProcessRunBitForBitInFp32(final int world, final int stage, final boolean overlap,
                                                       final int accumulation) throws Exception {
        assertEquivalent(world, stage, overlap, accumulation, false);
    }

    @ParameterizedTest(name = "bf16 N={0} stage {1} overlap={2} accumulation={3}")
    @MethodSource("bf16Cases")
    void shouldMatchTheSingleProcessRunBitForBitInBf16(final int world, final int stage, final boolean overlap,
                                                       final int accumulation) throws Exception {
        assertEquivalent(world, stage, overlap, accumulation, true);
    }

    private void assertEquivalent(final int world, final int stage, final boolean overlap, final int accumulation,
                                  final boolean bf16) throws Exception {
        final DeepSpeedConfig config = deepspeed(world, stage, overlap, accumulation, bf16);
        final String key = world + "/" + accumulation + "/" + (stage >= 2) + "/" + bf16;
        final List<SingleProcessReference.Step> expected = REFERENCES.computeIfAbsent(key, k -> reference(config));
        final List<Long> expectedChecksums = REFERENCE_CHECKSUMS.get(key);

        final List<RankRun> runs = ranks.run(world, comm -> {
            final ZeroEngine engine = new ZeroEngine(GPT, SEQ_LEN, config, GptModelFactory.cpu(new JavaGemm()), comm,
                loader(comm.rank(), world)::next, NonFinitePolicy.STOP, initialWeights());
            final RankRun run = new RankRun();
            for (int step = 0; step < STEPS; step++) {
                run.metrics.add(engine.trainStep());
                run.checksums.add(engine.computeWeightsChecksum());
            }
            run.master = engine.gatherMasterWeights();
            return run;
        });

        for (int rank = 0; rank < world; rank++) {
            final RankRun run = runs.get(rank);
            for (int step = 0; step < STEPS; step++) {
                final String where = "rank " + rank + " step " + (step + 1);
                assertThat(run.metrics.get(step).loss()).as("loss, " + where).isEqualTo(expected.get(step).loss());
                assertThat(run.metrics.get(step).gradNorm()).as("grad norm, " + where)
                    .isEqualTo(expected.get(step).gradNorm());
                assertThat(run.checksums.get(step)).as("weights checksum, " + where)
                    .isEqualTo(expectedChecksums.get(step));
            }
            assertThat(bits(run.master)).as("master weights of rank " + rank)
                .isEqualTo(bits(expected.get(STEPS - 1).master()));
        }
        assertThat(expected.get(STEPS - 1).loss()).as("training lowers the loss").isLessThan(expected.get(0).loss());
    }

    private static List<SingleProcessReference.Step> reference(final DeepSpeedConfig config) {
        final int world = config.batch().worldSize();
        final BatchSource[] batches = new BatchSource[world];
        for (int rank = 0; rank < world; rank++) {
            batches[rank] = loader(rank, world)::next;
        }
        final SingleProcessReference reference = new SingleProcessReference(GPT, SEQ_LEN, config, batches,
            initialWeights());
        final List<SingleProcessReference.Step> steps = new ArrayList<>();
        final List<Long> checksums = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            steps.add(reference.step());
            checksums.add(reference.computeWeightsChecksum());
        }
        REFERENCE_CHECKSUMS.put(world + "/" + config.batch().gradientAccumulationSteps() + "/"
            + (config.zero().stage() >= 2) + "/" + config.precision().bf16(), checksums);
        return steps;
    }

    static DeepSpeedConfig deepspeed(final int world, final int stage, final boolean overlap, final int accumulation,
                                     final boolean bf16) {
        final String json = "{\"train_micro_batch_size_per_gpu\": " + MICRO_BATCH
            + ", \"gradient_accumulation_steps\": " + accumulation
            + ", \"zero_optimization\": {\"stage\": " + stage + ", \"overlap_comm\": " + overlap
            + ", \"reduce_bucket_size\": 3000, \"allgather_bucket_size\": 5000"
            + ", \"stage3_param_persistence_threshold\": 1000, \"stage3_prefetch_bucket_size\": 20000}"
            + ", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 3e-3, \"weight_decay\": 0.1}}"
            + ", \"gradient_clipping\": 0.5, \"bf16\": {\"enabled\": " + bf16 + "}}";
        return DeepSpeedConfigReader.resolve(json, ResolveContext.ofWorldSize(world)).config();
    }

    static float[] initialWeights() {
        final float[] weights = new float[new GptLayout(GPT).totalElements()];
        GptInitializer.initialize(new GptLayout(GPT), SEED, weights);
        return weights;
    }

    /** Rank {@code rank}'s loader over a learnable stream (each token mostly followed by one successor). */
    static DataLoader loader(final int rank, final int world) {
        final int[] tokens = new int[8192];
        long state = SEED;
        for (int i = 0; i < tokens.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            tokens[i] = i > 0 && (state >>> 60) != 0 ? (tokens[i - 1] * 5 + 3) % GPT.vocabSize()
                : (int) ((state >>> 33) % GPT.vocabSize());
        }
        return new DataLoader(TokenArray.wrap("test", tokens), MICRO_BATCH, SEQ_LEN, SEED, rank, world,
            GPT.vocabSize(), DataLoader.Order.SHUFFLED);
    }

    private static int[] bits(final float[] values) {
        final int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    private static final class RankRun {
        final List<StepMetrics> metrics = new ArrayList<>();
        final List<Long> checksums = new ArrayList<>();
        float[] master;
    }
}
