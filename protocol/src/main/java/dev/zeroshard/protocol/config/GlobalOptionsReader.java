package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zeroshard.protocol.config.ResolvedValue.Source;

import java.util.List;

/**
 * Reads the top-level keys outside the per-concern sections: {@code gradient_clipping}, and the
 * DeepSpeed switches zeroshard accepts only at the value that matches what it does
 * ({@code prescale_gradients: false}, {@code gradient_predivide_factor: 1.0},
 * {@code communication_data_type: "fp32"} or null) or accepts without effect. {@code wandb},
 * {@code comms_logger} and {@code flops_profiler} are accepted only with {@code enabled: false}.
 */
final class GlobalOptionsReader {
    static final String ZERO_ALLOW_UNTESTED_OPTIMIZER = "zero_allow_untested_optimizer";
    static final String PRESCALE_GRADIENTS = "prescale_gradients";
    static final String GRADIENT_PREDIVIDE_FACTOR = "gradient_predivide_factor";
    static final String COMMUNICATION_DATA_TYPE = "communication_data_type";
    static final String DUMP_STATE = "dump_state";
    static final String WANDB = "wandb";
    static final String COMMS_LOGGER = "comms_logger";
    static final String FLOPS_PROFILER = "flops_profiler";
    static final List<String> KEYS = List.of(ZERO_ALLOW_UNTESTED_OPTIMIZER, PRESCALE_GRADIENTS,
        GRADIENT_PREDIVIDE_FACTOR, COMMUNICATION_DATA_TYPE, DUMP_STATE, WANDB, COMMS_LOGGER, FLOPS_PROFILER);

    private static final String NO_EFFECT = "no effect in zeroshard";
    private static final String NOT_SUPPORTED = "not supported by zeroshard";

    private GlobalOptionsReader() {
    }

    /** The clipping config, or null when an error was recorded. */
    static GradientClipping gradientClipping(final JsonFields root) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final double maxNorm = root.number(GradientClipping.KEY, GradientClipping.MAX_NORM_RANGE, true).orAuto(
            GradientClipping.OFF.maxNorm(), GradientClipping.AUTO_MAX_NORM, "Hugging Face's default max_grad_norm");
        return resolution.build(mark, () -> new GradientClipping(maxNorm));
    }

    /** Checks and lists the keys that select no zeroshard behaviour; errors go to the resolution. */
    static void read(final JsonFields root) {
        recordIfGiven(root.bool(ZERO_ALLOW_UNTESTED_OPTIMIZER, false), NO_EFFECT);
        recordIfGiven(root.bool(DUMP_STATE, false), NO_EFFECT);
        final Field<Boolean> prescale = root.bool(PRESCALE_GRADIENTS, false);
        if (prescale.isGiven() && prescale.value()) {
            root.error(PRESCALE_GRADIENTS, NOT_SUPPORTED + "; only false");
        } else {
            recordIfGiven(prescale, "");
        }
        final Field<Double> predivide = root.number(GRADIENT_PREDIVIDE_FACTOR, DoubleRange.POSITIVE, false);
        if (predivide.isGiven() && predivide.value() != 1.0) {
            root.error(GRADIENT_PREDIVIDE_FACTOR, NOT_SUPPORTED + "; only 1.0");
        } else {
            recordIfGiven(predivide, "");
        }
        readCommunicationDataType(root);
        disabledOnly(root, WANDB, NOT_SUPPORTED + "; use csv_monitor");
        disabledOnly(root, COMMS_LOGGER, NOT_SUPPORTED + "; only enabled false");
        disabledOnly(root, FLOPS_PROFILER, NOT_SUPPORTED + "; only enabled false");
    }

    private static void readCommunicationDataType(final JsonFields root) {
        final JsonNode value = root.raw(COMMUNICATION_DATA_TYPE);
        if (value == null) {
            return;
        }
        if (value.isNull() || (value.isTextual() && "fp32".equals(value.textValue()))) {
            root.resolution().value(root.pathOf(COMMUNICATION_DATA_TYPE), JsonValues.render(value), Source.FILE, "");
            return;
        }
        root.error(COMMUNICATION_DATA_TYPE, "must be \"fp32\" or null; other communication types are " + NOT_SUPPORTED);
    }

    /** A section accepted only as {@code {"enabled": false, ...}}; its other keys then have no effect. */
    private static void disabledOnly(final JsonFields root, final String key, final String refusal) {
        final JsonFields section = root.object(key);
        if (!section.isPresent()) {
            return;
        }
        final Field<Boolean> enabled = section.bool(MonitorTarget.ENABLED, false);
        if (enabled.isGiven() && enabled.value()) {
            section.error(MonitorTarget.ENABLED, refusal);
        } else if (!enabled.isInvalid()) {
            enabled.orDefault(false, NO_EFFECT);
        }
    }

    private static <T> void recordIfGiven(final Field<T> field, final String note) {
        if (field.isGiven()) {
            field.record(field.value(), Source.FILE, note);
        }
    }
}
