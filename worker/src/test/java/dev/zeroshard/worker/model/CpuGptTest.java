package dev.zeroshard.worker.model;

import dev.zeroshard.sharding.layout.TensorRange;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.ops.FiniteDifferences;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuGptTest {
    private static final GptConfig TINY = GptConfig.gpt2(11, 9, 8, 2, 2);
    private static final int B = 2;
    private static final int T = 7;

    private static int[] tokens(final int seed, final int vocab) {
        final int[] tokens = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7 + seed * 3 + i * i) % vocab;
        }
        return tokens;
    }

    private static CpuGpt model(final Precision precision) {
        final CpuGpt model = new CpuGpt(TINY, B, T, precision, new JavaGemm());
        GptInitializer.initialize(model.layout(), 42, model.parameters());
        // larger weights than GPT-2's 0.02 so every path carries gradient above fp32 noise
        final float[] p = model.parameters();
        final float[] noise = FiniteDifferences.random(p.length, 7, 0.3f);
        for (int i = 0; i < p.length; i++) {
            p[i] += noise[i];
        }
        model.parametersChanged();
        return model;
    }

    @Test
    void shouldMatchFiniteDifferencesForEveryTensorOfTheWholeModel() {
        final CpuGpt model = model(Precision.FP32);
        final int[] inputs = tokens(1, TINY.vocabSize());
        final int[] targets = tokens(2, TINY.vocabSize());
        model.zeroGradients();
        model.forwardBackward(inputs, targets, 1f / (B * T));
        final float[] grads = model.gradients().clone();

        for (final TensorRange tensor : model.layout().parameters().tensors()) {
            final double error = FiniteDifferences.maxRelativeError(model.parameters(), (int)tensor.offsetElements(),
                (int)tensor.lengthElements(), grads, (int)tensor.offsetElements(), 12, tensor.name().hashCode(),
                1e-2f, 2e-2, () -> model.forward(inputs, targets));
            assertThat(error).as("max relative gradient error of %s", tensor.name()).isLessThan(5e-2);
        }
    }

    @Test
    void shouldAccumulateGradientsAcrossMicroBatches() {
        final CpuGpt model = model(Precision.FP32);
        final int[] inputs = tokens(3, TINY.vocabSize());
        final int[] targets = tokens(4, TINY.vocabSize());
        model.zeroGradients();
        model.forwardBackward(inputs, targets, 1f);
        final float[] once = model.gradients().clone();
        model.forwardBackward(inputs, targets, 1f);

        // GEMMs add into gradients block by block, so the sum is 2g only to rounding
        for (int i = 0; i < once.length; i += 17) {
            assertThat(model.gradients()[i]).isCloseTo(2 * once[i], org.assertj.core.data.Offset.offset(1e-5f + 1e-5f * Math.abs(once[i])));
        }
    }

    @Test
    void shouldGiveIdenticalBitsRunAfterRun() {
        final int[] inputs = tokens(5, TINY.vocabSize());
        final int[] targets = tokens(6, TINY.vocabSize());
        final CpuGpt first = model(Precision.FP32);
        final CpuGpt second = model(Precision.FP32);
        first.zeroGradients();
        second.zeroGradients();

        assertThat(first.forwardBackward(inputs, targets, 0.5f)).isEqualTo(second.forwardBackward(inputs, targets, 0.5f));
        assertThat(first.gradients()).containsExactly(second.gradients());
    }

    @Test
    void shouldStayCloseToFp32WhenComputingInBf16() {
        final int[] inputs = tokens(7, TINY.vocabSize());
        final int[] targets = tokens(8, TINY.vocabSize());

        final float fp32 = model(Precision.FP32).forward(inputs, targets);
        final float bf16 = model(Precision.BF16).forward(inputs, targets);

        assertThat(Math.abs(bf16 - fp32)).isLessThan(3e-2f);
        assertThat(bf16).isNotEqualTo(fp32);
    }

    @Test
    void shouldNameThePositionWhenATokenIsOutsideTheVocabulary() {
        final CpuGpt model = model(Precision.FP32);
        final int[] inputs = tokens(1, TINY.vocabSize());
        inputs[T + 2] = TINY.vocabSize();

        assertThatThrownBy(() -> model.forward(inputs, tokens(2, TINY.vocabSize())))
            .hasMessageContaining("inputs[1,2] = 11")
            .hasMessageContaining("vocab_size=11");
    }

    @Test
    void shouldRefuseASequenceLongerThanThePositionEmbedding() {
        assertThatThrownBy(() -> new CpuGpt(TINY, 1, 10, Precision.FP32, new JavaGemm()))
            .hasMessageContaining("n_positions=9");
    }
}
