package dev.zeroshard.worker.model;

import dev.zeroshard.protocol.job.ModelConfigs;
import dev.zeroshard.protocol.v1.ModelConfig;

/**
 * The dimensions of a GPT-2 model as the compute code uses them.
 *
 * @param vocabSize     V, rows of the token embedding (and of the tied LM head).
 * @param maxSeqLen     maximum T: rows of the position embedding (n_positions).
 * @param channels      C, the model width (n_embd).
 * @param layers        L, the number of blocks.
 * @param heads         NH; C / NH is the head size.
 * @param innerChannels width of the MLP's hidden layer (4C in GPT-2).
 * @param layerNormEps  LayerNorm epsilon.
 * @param initStd       standard deviation of the normal initialisation.
 */
public record GptConfig(
    int vocabSize, int maxSeqLen, int channels, int layers, int heads, int innerChannels,
    float layerNormEps, float initStd) {

    public GptConfig {
        if (vocabSize <= 0 || maxSeqLen <= 0 || channels <= 0 || layers <= 0 || heads <= 0 || innerChannels <= 0) {
            throw new IllegalArgumentException("GPT dimensions must be > 0: " + this);
        }
        if (channels % heads != 0) {
            throw new IllegalArgumentException("n_embd=" + channels + " is not divisible by n_head=" + heads);
        }
    }

    /** The compute view of a model config (GPT-2 defaults filled in for what it leaves out). */
    public static GptConfig of(final ModelConfig model) {
        final ModelConfig config = ModelConfigs.withDefaults(model);
        return new GptConfig(config.getVocabSize(), config.getNPositions(), config.getNEmbd(), config.getNLayer(),
            config.getNHead(), config.getNInner(), (float)config.getLayerNormEpsilon(),
            (float)config.getInitializerRange());
    }

    /** A config with GPT-2's conventions (MLP 4C, eps 1e-5, init 0.02); handy for tests and benchmarks. */
    public static GptConfig gpt2(final int vocabSize, final int maxSeqLen, final int channels, final int layers,
        final int heads) {
        return new GptConfig(vocabSize, maxSeqLen, channels, layers, heads, 4 * channels, 1e-5f, 0.02f);
    }

    public int headSize() {
        return channels / heads;
    }
}
