package dev.zeroshard.worker.backend;

import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.Precision;

/** Makes a model of a given shape on one backend. */
@FunctionalInterface
public interface GptModelFactory {
    /** A model for micro-batches of (batchSize, seqLen), its parameters zero until the caller fills them. */
    GptModel create(GptConfig config, int batchSize, int seqLen, Precision precision);
}
