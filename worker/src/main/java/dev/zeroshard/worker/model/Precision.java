package dev.zeroshard.worker.model;

/**
 * How a model computes. Both keep fp32 master weights and fp32 optimizer states (they live in the
 * optimizer, not here) and accumulate in fp32.
 */
public enum Precision {
    /** fp32 everywhere: exact fp32 arithmetic, the reference for equivalence tests. */
    FP32,
    /**
     * bf16 mixed precision, DeepSpeed's {@code bf16.enabled}: compute weights and the activations
     * that feed matrix products are bf16 (round to nearest even), products and sums accumulate in
     * fp32.
     */
    BF16;

    /** The precision a DeepSpeed config asks for. */
    public static Precision of(final boolean bf16Enabled) {
        return bf16Enabled ? BF16 : FP32;
    }
}
