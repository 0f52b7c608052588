package dev.zeroshard.protocol.config;

import java.util.List;

import static dev.zeroshard.protocol.config.PrecisionConfig.BF16;
import static dev.zeroshard.protocol.config.PrecisionConfig.BF16_ALIAS;
import static dev.zeroshard.protocol.config.PrecisionConfig.ENABLED;
import static dev.zeroshard.protocol.config.PrecisionConfig.FP16;

/**
 * Reads {@code bf16} (or its alias {@code bfloat16}) and {@code fp16}. fp16 training is refused;
 * an fp16 section that is disabled is accepted with all of DeepSpeed's fp16 keys, which then have
 * no effect. {@code "auto"} for either {@code enabled} resolves to false: nothing in the context
 * asks for mixed precision.
 */
final class PrecisionReader {
    static final String FP16_REFUSED = "fp16 training is not supported; this release trains in bf16 or fp32 "
        + "(set bf16.enabled true, or fp16.enabled false)";

    private static final List<String> BF16_KEYS = List.of(ENABLED);
    /** DeepSpeed's fp16 keys; accepted with no effect while fp16 is disabled. */
    private static final List<String> FP16_KEYS = List.of(ENABLED, "auto_cast", "loss_scale", "initial_scale_power",
        "loss_scale_window", "hysteresis", "consecutive_hysteresis", "min_loss_scale", "fp16_master_weights_and_grads");

    private PrecisionReader() {
    }

    /** The precision config, or null when an error was recorded. */
    static PrecisionConfig read(final JsonFields root) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        if (root.has(BF16) && root.has(BF16_ALIAS)) {
            root.error(BF16_ALIAS, "duplicates section bf16 (bfloat16 is its old name); keep one");
        }
        final String bf16Key = root.has(BF16_ALIAS) && !root.has(BF16) ? BF16_ALIAS : BF16;
        final JsonFields bf16Section = root.object(bf16Key);
        bf16Section.rejectUnknownKeys(BF16_KEYS);
        final boolean bf16 = bf16Section.bool(ENABLED, true)
            .orAuto(false, false, "false: nothing in the context asks for bf16");

        final JsonFields fp16Section = root.object(FP16);
        fp16Section.rejectUnknownKeys(FP16_KEYS);
        final Field<Boolean> fp16Field = fp16Section.bool(ENABLED, true);
        final boolean fp16 = fp16Field.orAuto(false, false, "false: this release trains in bf16 or fp32");
        if (fp16) {
            fp16Section.error(ENABLED, bf16
                ? "cannot be true together with " + bf16Key + ".enabled true; " + FP16_REFUSED
                : FP16_REFUSED);
        }
        return resolution.build(mark, () -> new PrecisionConfig(bf16));
    }
}
