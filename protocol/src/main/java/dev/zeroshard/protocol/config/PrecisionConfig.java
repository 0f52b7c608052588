package dev.zeroshard.protocol.config;

/**
 * The training precision: bf16 mixed precision (fp32 master weights and optimizer states, bf16
 * compute) or plain fp32. DeepSpeed's fp16 with loss scaling is not offered by this release.
 *
 * @param bf16 {@code bf16.enabled}: true for bf16 mixed precision, false for fp32.
 */
public record PrecisionConfig(boolean bf16) {
    public static final String BF16 = "bf16";
    /** DeepSpeed's older name of the {@code bf16} section, still accepted by it and by us. */
    public static final String BF16_ALIAS = "bfloat16";
    public static final String FP16 = "fp16";
    public static final String ENABLED = "enabled";

    /** Neither bf16 nor fp16 enabled: DeepSpeed's default. */
    public static final PrecisionConfig FP32 = new PrecisionConfig(false);
}
