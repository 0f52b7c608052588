package dev.zeroshard.worker.model;

/**
 * Model FLOPs of a training step, counted as PaLM (appendix B) and nanoGPT do so that GFLOP/s and
 * MFU compare with theirs: 6·Ψ per token for the parameter matmuls (2 forward, 4 backward), plus
 * 12·L·T·C per token for attention scores and values (not halved for the causal mask).
 */
public final class ModelFlops {
    private ModelFlops() {
    }

    /** FLOPs of forward and backward over B·T tokens. */
    public static double perStep(final GptLayout layout, final int batchSize, final int seqLen) {
        final GptConfig config = layout.config();
        final double tokens = (double)batchSize * seqLen;
        final double perToken = 6.0 * layout.totalElements()
            + 12.0 * config.layers() * seqLen * config.channels();
        return perToken * tokens;
    }
}
