package dev.zeroshard.worker.train;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.Precision;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainerTest {
    private static final GptConfig CONFIG = GptConfig.gpt2(32, 16, 16, 2, 2);
    private static final int B = 2;
    private static final int T = 8;

    private static DeepSpeedConfig deepspeed(final String extra) {
        return DeepSpeedConfigReader.resolve("{\"train_micro_batch_size_per_gpu\": " + B + extra + "}",
            ResolveContext.ofWorldSize(1)).config();
    }

    private static CpuGpt model() {
        final CpuGpt model = new CpuGpt(CONFIG, B, T, Precision.FP32, new JavaGemm());
        GptInitializer.initialize(model.layout(), 3, model.parameters());
        return model;
    }

    /** A fixed, learnable stream: token t+1 follows token t. */
    private static BatchSource counting() {
        final AtomicLong next = new AtomicLong();
        return (inputs, targets) -> {
            for (int i = 0; i < inputs.length; i++) {
                final int token = (int)(next.getAndIncrement() % CONFIG.vocabSize());
                inputs[i] = token;
                targets[i] = (token + 1) % CONFIG.vocabSize();
            }
        };
    }

    @Test
    void shouldLowerTheLossOnALearnableStream() {
        final Trainer trainer = new Trainer(model(), deepspeed(", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 1e-2}}"),
            counting(), System::nanoTime);

        final double first = trainer.trainStep().loss();
        double last = first;
        for (int i = 0; i < 30; i++) {
            last = trainer.trainStep().loss();
        }

        assertThat(trainer.step()).isEqualTo(31);
        assertThat(last).isLessThan(first * 0.5);
    }

    @Test
    void shouldAverageAccumulatedMicroBatchesLikeOneLargerBatch() {
        // two micro-batches of B accumulate the same gradient as the mean of both: check via the loss
        final Trainer accumulated = new Trainer(model(), deepspeed(", \"gradient_accumulation_steps\": 2"),
            counting(), System::nanoTime);
        final StepMetrics step = accumulated.trainStep();

        assertThat(step.gradNorm()).isPositive();
        assertThat(step.tokensPerS()).isPositive();
        assertThat(accumulated.optimizer().stepCount()).isEqualTo(1);
    }

    @Test
    void shouldClipTheGradientToTheConfiguredNorm() {
        final CpuGpt model = model();
        final Trainer trainer = new Trainer(model, deepspeed(", \"gradient_clipping\": 1e-3"), counting(),
            System::nanoTime);

        final StepMetrics step = trainer.trainStep();

        final float[] grads = model.gradients();
        double norm = 0;
        for (final float g : grads) {
            norm += (double)g * g;
        }
        assertThat(step.gradNorm()).isGreaterThan(1e-3);
        assertThat(Math.sqrt(norm)).isCloseTo(1e-3, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void shouldStopAndNameTheTensorWhenAGradientIsNotFinite() {
        final CpuGpt model = model();
        final Trainer trainer = new Trainer(model, deepspeed(""), counting(), System::nanoTime);
        // an infinite weight in the last block's MLP makes its gradients (and the loss) non-finite
        model.parameters()[model.layout().offset(GptLayout.FINAL_NORM_WEIGHT)] = Float.NaN;
        trainer.masterWeights()[model.layout().offset(GptLayout.FINAL_NORM_WEIGHT)] = Float.NaN;

        assertThatThrownBy(trainer::trainStep)
            .isInstanceOf(TrainingStoppedException.class)
            .hasMessageContaining("at step 1")
            .hasMessageContaining("NaN");
    }
}
