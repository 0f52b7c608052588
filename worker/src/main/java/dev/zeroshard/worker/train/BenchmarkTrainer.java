package dev.zeroshard.worker.train;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.Precision;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The training setup every speed benchmark times, so that they all measure the same step: AdamW
 * (lr 1e-4, weight decay 0.1) without accumulation or clipping, on uniformly random tokens.
 */
public final class BenchmarkTrainer {
    private BenchmarkTrainer() {
    }

    /** A trainer for {@code model} (initialised by the caller) fed random tokens from {@code seed}. */
    public static Trainer onRandomTokens(final CpuGpt model, final long seed) {
        final DeepSpeedConfig config = DeepSpeedConfigReader.resolve(String.format(Locale.ROOT,
            "{\"train_micro_batch_size_per_gpu\": %d, \"bf16\": {\"enabled\": %b},"
                + " \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 1e-4, \"weight_decay\": 0.1}}}",
            model.batchSize(), model.precision() == Precision.BF16), ResolveContext.ofWorldSize(1)).config();
        final SplittableRandom random = new SplittableRandom(seed);
        final int vocab = model.layout().config().vocabSize();
        return new Trainer(model, config, (inputs, targets) -> {
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = random.nextInt(vocab);
                targets[i] = random.nextInt(vocab);
            }
        }, System::nanoTime);
    }
}
