package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.backend.GptModelFactory;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.model.GptLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.GPT;
import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.SEQ_LEN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each rank's model states follow the ZeRO paper's formulas, measured from what the engine allocated, and the
 * estimator's figures match what a real rank reports.
 *
 * <p>With Ψ parameters, N ranks and S = ceil(Ψ/N) (a shard, padding included), in bytes: BF16 mode keeps bf16
 * compute weights (2), fp32 gradients (4: accumulation and reduction are fp32), fp32 master weights (4) and two
 * fp32 moments (8): stage 0 18Ψ, stage 1 6Ψ + 12S, stage 2 2Ψ + 16S, stage 3 18S. FP32 mode has no separate master
 * copy (the compute weights are the master): stage 0 16Ψ, stage 1 8Ψ + 8S, stage 2 4Ψ + 12S, stage 3 16S. The
 * paper's 16Ψ/4Ψ+12Ψ/N/2Ψ+14Ψ/N/16Ψ/N assume 2-byte gradients; ours are 4 bytes, the only difference.
 */
class ZeroMemoryTest extends OnRankThreads {
    @ParameterizedTest(name = "N={0} stage {1} bf16={2}")
    @CsvSource({
        "2,0,true", "2,1,true", "2,2,true", "2,3,true", "4,0,true", "4,1,true", "4,2,true", "4,3,true",
        "2,0,false", "2,1,false", "2,2,false", "2,3,false", "4,0,false", "4,1,false", "4,2,false", "4,3,false"})
    void shouldHoldTheModelStatesOfTheZeroPaperAndMatchTheEstimate(final int world, final int stage,
                                                                   final boolean bf16) throws Exception {
        final DeepSpeedConfig config = ZeroEquivalenceTest.deepspeed(world, stage, true, 1, bf16);
        final List<MemoryReport> reports = ranks.run(world, comm -> {
            final ZeroEngine engine = new ZeroEngine(GPT, SEQ_LEN, config, GptModelFactory.cpu(new JavaGemm()), comm,
                ZeroEquivalenceTest.loader(comm.rank(), world)::next, NonFinitePolicy.STOP,
                ZeroEquivalenceTest.initialWeights());
            engine.trainStep();
            return engine.memory();
        });
        final long psi = new GptLayout(GPT).totalElements();
        final long shard = ShardPlan.of(psi, world).shardLength();
        final long expected = bf16
            ? switch (stage) {
                case 0 -> 18 * psi;
                case 1 -> 6 * psi + 12 * shard;
                case 2 -> 2 * psi + 16 * shard;
                default -> 18 * shard;
            }
            : switch (stage) {
                case 0 -> 16 * psi;
                case 1 -> 8 * psi + 8 * shard;
                case 2 -> 4 * psi + 12 * shard;
                default -> 16 * shard;
            };
        final MemoryReport estimate = MemoryEstimator.estimate(GPT, SEQ_LEN, config, world);
        for (int rank = 0; rank < world; rank++) {
            final MemoryReport report = reports.get(rank);
            assertThat(report.modelStates()).as("model states of rank " + rank).isEqualTo(expected);
            assertThat(report.activations()).as("activations").isPositive();
            assertThat((double) estimate.total()).as("estimate of everything vs rank " + rank)
                .isBetween(0.9 * report.total(), 1.1 * report.total());
            assertThat(estimate.modelStates()).as("estimated model states").isEqualTo(report.modelStates());
        }
        if (stage == 3) {
            assertThat(reports.get(0).communicationBuffers()).as("stage 3 gathers into buffers").isPositive();
        }
    }
}
