package dev.zeroshard.protocol.config;

/**
 * The top-level {@code gradient_clipping}: gradients are scaled so that their global L2 norm is at
 * most {@code maxNorm} before the optimizer step; 0 turns clipping off (DeepSpeed's default).
 *
 * @param maxNorm largest allowed global gradient norm, >= 0; 0 is off.
 */
public record GradientClipping(double maxNorm) {
    public static final String KEY = "gradient_clipping";
    /** What {@code "auto"} resolves to: Hugging Face Trainer's default {@code max_grad_norm}. */
    public static final double AUTO_MAX_NORM = 1.0;
    static final DoubleRange MAX_NORM_RANGE = DoubleRange.NON_NEGATIVE;

    /** No clipping: DeepSpeed's default. */
    public static final GradientClipping OFF = new GradientClipping(0.0);

    public GradientClipping {
        new Violations().check(KEY, maxNorm, MAX_NORM_RANGE).throwIfAny();
    }

    public boolean enabled() {
        return maxNorm > 0.0;
    }
}
