package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobSpec;
import dev.zeroshard.worker.backend.BackendChoice;
import dev.zeroshard.worker.backend.BackendSelector;
import dev.zeroshard.worker.data.DataLoader;
import dev.zeroshard.worker.data.TokenSequence;
import dev.zeroshard.worker.data.Tokenizer;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.Precision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What every way of training a job builds the same way: precision, backend, initial weights and a rank's
 * data.
 */
public final class TrainingSetup {
    private TrainingSetup() {
    }

    public static GptConfig model(final ResolvedJob job) {
        return GptConfig.of(job.model());
    }

    public static Precision precision(final ResolvedJob job) {
        return Precision.of(job.deepspeed().config().precision().bf16());
    }

    /**
     * The backend of the job's {@code backend} ({@code auto}, {@code cpu}, {@code cuda}) for its model and precision;
     * throws {@link dev.zeroshard.worker.backend.BackendUnavailableException} for {@code cuda} where it cannot run.
     */
    public static BackendChoice backend(final ResolvedJob job) {
        return BackendSelector.select(job.spec().getBackend(), model(job), precision(job));
    }

    /**
     * Fills {@code params} (Ψ values in layout order) from a Hugging Face GPT-2 safetensors file, or else from
     * the job's seed.
     */
    public static void initialWeights(final ResolvedJob job, final GptLayout layout, final Optional<Path> file,
                                      final float[] params) throws IOException {
        if (file.isPresent()) {
            Gpt2Safetensors.load(file.get(), layout.parameters(), params, 0);
        } else {
            GptInitializer.initialize(layout, job.spec().getSeed(), params);
        }
    }

    /** Rank {@code rank} of {@code worldSize}'s loader over the job's data, ids checked against the model. */
    public static DataLoader loader(final ResolvedJob job, final GptConfig gpt, final int rank, final int worldSize)
        throws IOException {
        final JobSpec spec = job.spec();
        final Tokenizer tokenizer = TrainingData.tokenizer(spec.getData());
        if (tokenizer.vocabSize() > gpt.vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + spec.getData().getTokenizer() + " has "
                + tokenizer.vocabSize() + " tokens, more than the model's vocab_size=" + gpt.vocabSize());
        }
        final TokenSequence tokens = TrainingData.open(spec.getData(), tokenizer, spec.getSeed());
        return new DataLoader(tokens, job.deepspeed().config().batch().microBatchPerGpu(), spec.getData().getSeqLen(),
            spec.getSeed(), rank, worldSize, gpt.vocabSize(), DataLoader.Order.SHUFFLED);
    }
}
