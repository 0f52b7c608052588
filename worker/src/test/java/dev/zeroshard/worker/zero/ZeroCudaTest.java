package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.worker.backend.GptModelFactory;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.backend.cuda.CudaDevice;
import dev.zeroshard.worker.backend.cuda.CudaGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.GptLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Locale;

import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.SEQ_LEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ZeRO engine with its model on the GPU against the same engine on the CPU: two ranks (threads sharing the
 * GPU), bf16, two micro-batches per step, five steps whose losses must agree within bf16 tolerance at stages 0, 2
 * and 3. Skipped, with the probe's reason, where there is no usable GPU.
 */
class ZeroCudaTest extends OnRankThreads {
    private static final GptConfig CONFIG = GptConfig.gpt2(301, 96, 128, 2, 2);
    private static final int STEPS = 5;
    private static final double BF16_TOLERANCE = 1e-2;

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 3})
    void shouldTrackTheCpuEngineWithTheModelOnTheGpu(final int stage) throws Exception {
        assumeTrue(CudaDevice.available(), CudaDevice.reason());
        final DeepSpeedConfig config = DeepSpeedConfigReader.resolve("{\"train_micro_batch_size_per_gpu\": 2, "
            + "\"gradient_accumulation_steps\": 2, \"bf16\": {\"enabled\": true}, \"zero_optimization\": {\"stage\": "
            + stage + ", \"reduce_bucket_size\": 20000, \"allgather_bucket_size\": 20000, "
            + "\"stage3_param_persistence_threshold\": 1000}}", ResolveContext.ofWorldSize(2)).config();
        final float[] weights = new float[new GptLayout(CONFIG).totalElements()];
        GptInitializer.initialize(new GptLayout(CONFIG), 11, weights);

        final List<double[]> gpu = ranks.run(2, comm -> losses(new ZeroEngine(CONFIG, SEQ_LEN, config,
            CudaGpt::new, comm, ZeroEquivalenceTest.loader(comm.rank(), 2)::next, NonFinitePolicy.STOP,
            weights.clone())));
        final List<double[]> cpu = ranks.run(2, comm -> losses(new ZeroEngine(CONFIG, SEQ_LEN, config,
            GptModelFactory.cpu(new JavaGemm()), comm, ZeroEquivalenceTest.loader(comm.rank(), 2)::next,
            NonFinitePolicy.STOP, weights.clone())));

        final StringBuilder report = new StringBuilder();
        for (int step = 0; step < STEPS; step++) {
            report.append(String.format(Locale.ROOT, "%n  step %d: gpu %.5f cpu %.5f", step + 1, gpu.get(0)[step],
                cpu.get(0)[step]));
        }
        for (int step = 0; step < STEPS; step++) {
            assertThat(gpu.get(1)[step]).as("both ranks report the step's loss").isEqualTo(gpu.get(0)[step]);
            assertThat(Math.abs(gpu.get(0)[step] - cpu.get(0)[step]) / cpu.get(0)[step]).as("stage %d:%s", stage,
                report).isLessThan(BF16_TOLERANCE);
        }
        assertThat(gpu.get(0)[STEPS - 1]).as("the GPU run learns:%s", report).isLessThan(gpu.get(0)[0]);
    }

    private static double[] losses(final ZeroEngine engine) {
        try (engine) {
            final double[] losses = new double[STEPS];
            for (int step = 0; step < STEPS; step++) {
                losses[step] = engine.trainStep().loss();
            }
            return losses;
        }
    }
}
