package dev.zeroshard.worker.zero;

import java.util.Locale;

/** What a step does when a gradient (or the loss) is NaN or infinite. */
public enum NonFinitePolicy {
    /** Stop the job before the optimizer writes anything: the default, since bf16 has no loss scale to lower. */
    STOP,
    /** Leave the weights and moments as they are, count the step as skipped and go on (fp16 practice). */
    SKIP_STEP;

    /** Reads {@code stop} or {@code skip}. */
    public static NonFinitePolicy parse(final String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "stop" -> STOP;
            case "skip", "skip_step" -> SKIP_STEP;
            default -> throw new IllegalArgumentException("non-finite gradient policy '" + text
                + "' is not one of stop, skip");
        };
    }
}
