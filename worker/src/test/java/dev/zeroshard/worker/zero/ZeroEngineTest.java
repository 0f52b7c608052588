package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.worker.backend.GptModelFactory;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.train.TrainingStoppedException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.GPT;
import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.SEQ_LEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZeroEngineTest extends OnRankThreads {
    private static final int CHUNK_ELEMENTS = RankThreads.CHUNK_BYTES / Float.BYTES;
    private static DeepSpeedConfig deepspeed(final int world, final String zero) {
        return DeepSpeedConfigReader.resolve("{\"train_micro_batch_size_per_gpu\": 2, \"zero_optimization\": "
            + zero + "}", ResolveContext.ofWorldSize(world)).config();
    }

    @Test
    void shouldRefuseABucketSmallerThanOnePipelineChunkNamingKeyValueAndReason() {
        final DeepSpeedConfig config = deepspeed(2, "{\"stage\": 2, \"reduce_bucket_size\": 100, "
            + "\"allgather_bucket_size\": 50}");

        assertThatThrownBy(() -> ZeroSettings.of(config, new GptLayout(GPT), 2, CHUNK_ELEMENTS))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("zero_optimization.reduce_bucket_size")
            .hasMessageContaining("100")
            .hasMessageContaining("pipeline chunk of " + CHUNK_ELEMENTS + " elements")
            .hasMessageContaining("zero_optimization.allgather_bucket_size")
            .hasMessageContaining("50");
    }

    @Test
    void shouldRefuseAPersistenceThresholdLargerThanTheModel() {
        final long psi = new GptLayout(GPT).totalElements();
        final DeepSpeedConfig config = deepspeed(2, "{\"stage\": 3, \"stage3_param_persistence_threshold\": "
            + (psi + 1) + "}");

        assertThatThrownBy(() -> ZeroSettings.of(config, new GptLayout(GPT), 2, CHUNK_ELEMENTS))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("zero_optimization.stage3_param_persistence_threshold")
            .hasMessageContaining(Long.toString(psi + 1))
            .hasMessageContaining("larger than the whole model (" + psi + " parameters)");
    }

    @Test
    void shouldRefuseAConfigResolvedForAnotherWorldSize() {
        final DeepSpeedConfig config = deepspeed(4, "{\"stage\": 1}");

        assertThatThrownBy(() -> ZeroSettings.of(config, new GptLayout(GPT), 2, CHUNK_ELEMENTS))
            .hasMessageContaining("world_size").hasMessageContaining("resolved for 4 ranks but this ring has 2");
    }

    @Test
    void shouldStopBeforeTheOptimizerNamingTheTensorAndTheRankWhenAGradientIsNotFinite() throws Exception {
        final DeepSpeedConfig config = deepspeed(2, "{\"stage\": 2, \"reduce_bucket_size\": 3000}");
        final float[] weights = poisonedWeights();

        final List<Throwable> failures = ranks.run(2, comm -> {
            final ZeroEngine engine = new ZeroEngine(GPT, SEQ_LEN, config, GptModelFactory.cpu(new JavaGemm()), comm,
                ZeroEquivalenceTest.loader(comm.rank(), 2)::next, NonFinitePolicy.STOP, weights.clone());
            try {
                engine.trainStep();
                return null;
            } catch (final TrainingStoppedException ex) {
                return ex;
            }
        });

        for (final Throwable failure : failures) {
            assertThat(failure).isInstanceOf(TrainingStoppedException.class)
                .hasMessageContaining("gradient of wte.weight is not finite on rank 0")
                .hasMessageContaining("at step 1 (ZeRO stage 2)")
                .hasMessageContaining("before the optimizer");
        }
    }

    @Test
    void shouldLeaveWeightsAndMomentsAloneWhenSkippingANonFiniteStep() throws Exception {
        final DeepSpeedConfig config = deepspeed(2, "{\"stage\": 3, \"reduce_bucket_size\": 3000, "
            + "\"stage3_param_persistence_threshold\": 1000}");
        final float[] weights = poisonedWeights();

        final List<float[]> after = ranks.run(2, comm -> {
            final ZeroEngine engine = new ZeroEngine(GPT, SEQ_LEN, config, GptModelFactory.cpu(new JavaGemm()), comm,
                ZeroEquivalenceTest.loader(comm.rank(), 2)::next, NonFinitePolicy.SKIP_STEP, weights.clone());
            engine.trainStep();
            assertThat(engine.skippedSteps()).isEqualTo(1);
            assertThat(engine.step()).isEqualTo(1);
            return engine.gatherMasterWeights();
        });

        for (final float[] master : after) {
            assertThat(master).containsExactly(weights);
        }
    }

    /** Initial weights with one NaN in a block's MLP weight: forward turns everything downstream into NaN. */
    private static float[] poisonedWeights() {
        final float[] weights = ZeroEquivalenceTest.initialWeights();
        weights[new GptLayout(GPT).offset("h.1.mlp.c_fc.weight") + 5] = Float.NaN;
        return weights;
    }
}
