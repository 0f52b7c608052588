package dev.zeroshard.worker.model;

import dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors;
import dev.zeroshard.checkpoints.safetensors.SafetensorsReader;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.protocol.job.ModelConfigs;
import dev.zeroshard.sharding.layout.TensorRange;
import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model against PyTorch, llm.c style: a tiny GPT-2 written in plain PyTorch
 * ({@code tools/reference/make_gpt2_fixture.py}) saved its weights, a batch, the logits, the loss,
 * every gradient and the losses of ten AdamW steps; this test loads the same weights and checks
 * each, reporting the largest difference per tensor.
 */
class ReferenceFixtureTest {
    private static GptConfig config;
    private static int batch;
    private static int seqLen;
    private static int[] inputs;
    private static int[] targets;
    private static Path weights;
    private static Path expected;

    @BeforeAll
    static void loadFixture() throws Exception {
        config = GptConfig.of(ModelConfigs.read(resource("reference/tiny-gpt2-config.json")));
        weights = resource("reference/tiny-gpt2.safetensors");
        expected = resource("reference/tiny-gpt2-expected.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(expected)) {
            final long[] shape = reader.tensor("tokens").shape();
            batch = (int)shape[0];
            seqLen = (int)shape[1] - 1;
            final int[] tokens = new int[batch * (seqLen + 1)];
            reader.readInts("tokens", tokens, 0);
            inputs = new int[batch * seqLen];
            targets = new int[batch * seqLen];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(tokens, b * (seqLen + 1), inputs, b * seqLen, seqLen);
                System.arraycopy(tokens, b * (seqLen + 1) + 1, targets, b * seqLen, seqLen);
            }
        }
    }

    private CpuGpt model(final Precision precision, final Gemm gemm) throws Exception {
        final CpuGpt model = new CpuGpt(config, batch, seqLen, precision, gemm);
        Gpt2Safetensors.load(weights, model.layout().parameters(), model.parameters(), 0);
        model.parametersChanged();
        return model;
    }

    @Test
    void shouldMatchPyTorchLogitsLossAndEveryGradientInFp32() throws Exception {
        final CpuGpt model = model(Precision.FP32, Gemms.best());
        model.zeroGradients();
        final float loss = model.forwardBackward(inputs, targets, 1f / (batch * seqLen));
        // forward alone leaves the logits in place (forwardBackward overwrites them with dlogits)
        final CpuGpt forwardOnly = model(Precision.FP32, Gemms.best());
        forwardOnly.forward(inputs, targets);

        try (SafetensorsReader reader = SafetensorsReader.open(expected)) {
            final float[] expectedLoss = new float[1];
            reader.read("loss", expectedLoss, 0);
            assertThat(relative(loss, expectedLoss[0])).as("loss %s vs %s", loss, expectedLoss[0]).isLessThan(1e-5);

            final float[] logits = new float[batch * seqLen * config.vocabSize()];
            reader.read("logits", logits, 0);
            assertThat(relativeNorm(forwardOnly.logits(), 0, logits, 0, logits.length)).as("logits").isLessThan(1e-5);

            final List<String> report = new ArrayList<>();
            double worst = 0;
            for (final TensorRange tensor : model.layout().parameters().tensors()) {
                final float[] grad = new float[(int)tensor.lengthElements()];
                reader.read("grad." + tensor.name(), grad, 0);
                final double error = relativeNorm(model.gradients(), (int)tensor.offsetElements(), grad, 0, grad.length);
                report.add(String.format(Locale.ROOT, "%s %.2e", tensor.name(), error));
                worst = Math.max(worst, error);
            }
            assertThat(worst).as("largest relative gradient difference by tensor: %s", report).isLessThan(1e-5);
        }
    }

    @Test
    void shouldTrackPyTorchLossesOverTenAdamWStepsInFp32AndBf16() throws Exception {
        final float[] fp32 = new float[10];
        final float[] bf16 = new float[10];
        try (SafetensorsReader reader = SafetensorsReader.open(expected)) {
            reader.read("losses_fp32", fp32, 0);
            reader.read("losses_bf16", bf16, 0);
        }
        final float[] ours32 = tenSteps(Precision.FP32);
        final float[] ours16 = tenSteps(Precision.BF16);

        for (int i = 0; i < 10; i++) {
            assertThat(Math.abs(ours32[i] - fp32[i])).as("fp32 loss before step %d: %s vs %s", i + 1, ours32[i], fp32[i])
                .isLessThan(1e-5f);
            assertThat(Math.abs(ours16[i] - bf16[i])).as("bf16 loss before step %d: %s vs %s", i + 1, ours16[i], bf16[i])
                .isLessThan(2e-2f);
        }
        assertThat(ours32[9]).isLessThan(ours32[0]);
    }

    private float[] tenSteps(final Precision precision) throws Exception {
        final CpuGpt model = model(precision, precision == Precision.BF16 ? Gemms.bestBf16() : Gemms.best());
        final DeepSpeedConfig ds = DeepSpeedConfigReader.resolve(String.format(Locale.ROOT,
            "{\"train_micro_batch_size_per_gpu\": %d, \"bf16\": {\"enabled\": %b}, \"optimizer\": {\"type\": \"AdamW\","
                + " \"params\": {\"lr\": 1e-3, \"betas\": [0.9, 0.95], \"eps\": 1e-8, \"weight_decay\": 0.1}}}",
            batch, precision == Precision.BF16), ResolveContext.ofWorldSize(1)).config();
        final Trainer trainer = new Trainer(model, ds, (in, out) -> {
            System.arraycopy(inputs, 0, in, 0, in.length);
            System.arraycopy(targets, 0, out, 0, out.length);
        }, System::nanoTime);
        final float[] losses = new float[10];
        for (int i = 0; i < 10; i++) {
            losses[i] = (float)trainer.trainStep().loss();
        }
        return losses;
    }

    private static double relative(final double a, final double b) {
        return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    }

    /** ‖a − b‖ / ‖b‖ over a range. */
    private static double relativeNorm(final float[] a, final int aOff, final float[] b, final int bOff, final int n) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < n; i++) {
            final double d = (double)a[aOff + i] - b[bOff + i];
            diff += d * d;
            norm += (double)b[bOff + i] * b[bOff + i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
    }

    private static Path resource(final String name) throws URISyntaxException {
        return Path.of(ReferenceFixtureTest.class.getClassLoader().getResource(name).toURI());
    }
}
