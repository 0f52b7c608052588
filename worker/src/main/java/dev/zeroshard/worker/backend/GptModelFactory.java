package dev.zeroshard.worker.backend;

import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.ModelStates;
import dev.zeroshard.worker.model.Precision;

/** Makes a model of a given shape on one backend. */
@FunctionalInterface
public interface GptModelFactory {
    /**
     * A model for micro-batches of (batchSize, seqLen).
     *
     * @param states where the model reads its parameters and puts its gradients (a ZeRO engine's store), or null
     *               for a model that holds them itself, zero until the caller fills {@link GptModel#parameters()}.
     */
    GptModel create(GptConfig config, int batchSize, int seqLen, Precision precision, ModelStates states);

    /** A model that holds its parameters and gradients itself. */
    default GptModel create(final GptConfig config, final int batchSize, final int seqLen,
                            final Precision precision) {
        return create(config, batchSize, seqLen, precision, null);
    }

    /** CPU models whose products run on {@code gemm}. */
    static GptModelFactory cpu(final Gemm gemm) {
        return (config, batchSize, seqLen, precision, states) ->
            new CpuGpt(config, batchSize, seqLen, precision, gemm, states);
    }
}
