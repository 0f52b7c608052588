package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.ops.Bf16Convert;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.GPT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The version a ZeRO store shows with each unit, and the work it leaves out for a model that already holds that
 * version (a GPU model's device copy): bf16 mode, where a block's fp32 values are widened from its bf16 weights.
 */
class ShardedParametersTest extends OnRankThreads {
    @ParameterizedTest
    @ValueSource(ints = {0, 3})
    void shouldShowItsVersionAndNotWidenTheValuesForAModelHoldingIt(final int stage) throws Exception {
        final DeepSpeedConfig config = DeepSpeedConfigReader.resolve("{\"train_micro_batch_size_per_gpu\": 2, "
            + "\"bf16\": {\"enabled\": true}, \"zero_optimization\": {\"stage\": " + stage + ", "
            + "\"stage3_param_persistence_threshold\": 1000}}", ResolveContext.ofWorldSize(1)).config();
        final GptLayout layout = new GptLayout(GPT);
        final int unit = GptLayout.blockUnit(1);
        final int start = layout.unitStart(unit);
        final int length = layout.unitEnd(unit) - start;
        final float[] weights = ZeroEquivalenceTest.initialWeights();
        final short[] bits = new short[length];
        Bf16Convert.toBits(weights, start, bits, 0, length);
        final float[] rounded = new float[length];
        Bf16Convert.toFloats(bits, 0, rounded, 0, length);

        ranks.run(1, comm -> {
            final ShardedParameters params = new ShardedParameters(layout, ShardPlan.of(layout.totalElements(), 1), 0,
                ZeroSettings.of(config, layout, 1, comm.chunkElements()), true, comm, new CommClock());
            params.initialize(weights);
            params.enterForward();
            final ParameterView view = new ParameterView();

            params.acquire(unit, view);
            final long version = view.version();
            assertThat(version).isNotNegative();
            assertThat(values(view, start, length)).containsExactly(rounded);
            params.release(unit);

            Arrays.fill(view.values(), Float.NaN);
            view.holding(version);
            params.acquire(unit, view);
            assertThat(view.version()).isEqualTo(version);
            assertThat(values(view, start, length)).as("not widened for a model that holds this version")
                .containsOnly(Float.NaN);
            params.release(unit);

            view.holding(version - 1);
            params.acquire(unit, view);
            assertThat(values(view, start, length)).as("widened for a model that holds an older version")
                .containsExactly(rounded);
            params.release(unit);

            params.publish();
            view.holding(version);
            params.acquire(unit, view);
            assertThat(view.version()).as("a new version after the weights changed").isGreaterThan(version);
            assertThat(values(view, start, length)).containsExactly(rounded);
            params.release(unit);
            return null;
        });
    }

    private static float[] values(final ParameterView view, final int start, final int length) {
        return Arrays.copyOfRange(view.values(), start + view.valuesShift(), start + view.valuesShift() + length);
    }
}
