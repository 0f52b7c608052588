package dev.zeroshard.worker.train;

import java.util.Locale;

/**
 * What one optimizer step reports.
 *
 * @param step          1-based index of the step just taken.
 * @param loss          mean training loss over the step's global batch.
 * @param lr            learning rate the step used.
 * @param gradNorm      global L2 norm of the gradients before clipping.
 * @param tokensPerS    tokens of this step divided by its wall time.
 * @param stepSeconds   wall time of the step.
 */
public record StepMetrics(long step, double loss, double lr, double gradNorm, double tokensPerS, double stepSeconds) {
    /**
     * One JSON object on one line, the metrics file's format. Loss and gradient norm are written with every digit
     * (shortest round-trip form), so two runs can be compared bit for bit from their files.
     */
    public String toJsonLine() {
        return String.format(Locale.ROOT,
            "{\"step\":%d,\"loss\":%s,\"lr\":%.6e,\"grad_norm\":%s,\"tokens_per_s\":%.1f,\"step_s\":%.4f}",
            step, number(loss), lr, number(gradNorm), tokensPerS, stepSeconds);
    }

    /** A JSON number, or null for NaN and infinities (a skipped step), which JSON cannot hold. */
    private static String number(final double value) {
        return Double.isFinite(value) ? Double.toString(value) : "null";
    }
}
