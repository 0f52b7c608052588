package dev.zeroshard.protocol.config;

import dev.zeroshard.protocol.config.OptimizerConfig.Type;
import dev.zeroshard.protocol.config.ResolvedValue.Source;

import java.util.List;
import java.util.Locale;

import static dev.zeroshard.protocol.config.OptimizerConfig.ADAM_W_MODE;
import static dev.zeroshard.protocol.config.OptimizerConfig.BETAS;
import static dev.zeroshard.protocol.config.OptimizerConfig.BETA1_DEFAULT;
import static dev.zeroshard.protocol.config.OptimizerConfig.BETA2_DEFAULT;
import static dev.zeroshard.protocol.config.OptimizerConfig.EPS;
import static dev.zeroshard.protocol.config.OptimizerConfig.EPS_DEFAULT;
import static dev.zeroshard.protocol.config.OptimizerConfig.LR;
import static dev.zeroshard.protocol.config.OptimizerConfig.LR_DEFAULT;
import static dev.zeroshard.protocol.config.OptimizerConfig.PARAMS;
import static dev.zeroshard.protocol.config.OptimizerConfig.TORCH_ADAM;
import static dev.zeroshard.protocol.config.OptimizerConfig.TYPE;
import static dev.zeroshard.protocol.config.OptimizerConfig.WEIGHT_DECAY;
import static dev.zeroshard.protocol.config.OptimizerConfig.WEIGHT_DECAY_DEFAULT;

/**
 * Reads the {@code optimizer} section. {@code type} is matched case-insensitively as DeepSpeed does;
 * DeepSpeed's {@code "Adam"} is AdamW unless {@code adam_w_mode} is false. Without the section the
 * optimizer is AdamW with DeepSpeed's defaults. {@code "auto"} params take those defaults too.
 */
final class OptimizerReader {
    private static final List<String> KEYS = List.of(TYPE, PARAMS);
    private static final List<String> PARAM_KEYS = List.of(LR, BETAS, EPS, WEIGHT_DECAY, ADAM_W_MODE, TORCH_ADAM);
    private static final String AUTO_DEFAULT = "DeepSpeed's default";

    private OptimizerReader() {
    }

    /** The optimizer config, or null when an error was recorded. */
    static OptimizerConfig read(final JsonFields root) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final JsonFields section = root.object(OptimizerConfig.SECTION);
        section.rejectUnknownKeys(KEYS);
        final Field<String> typeField = section.string(TYPE);
        Type written = Type.ADAMW;
        if (typeField.isGiven()) {
            written = parseType(section, typeField.value());
        } else if (section.isPresent() && typeField.isAbsent()) {
            resolution.error(typeField.path(), ConfigError.ABSENT, "is required: Adam or AdamW");
        }

        final JsonFields params = section.object(PARAMS);
        params.rejectUnknownKeys(PARAM_KEYS);
        final Field<Boolean> adamWModeField = params.bool(ADAM_W_MODE, false);
        final Type type = resolveType(written, typeField, params, adamWModeField);
        final double lr = params.number(LR, OptimizerConfig.LR_RANGE, true).orAuto(LR_DEFAULT, LR_DEFAULT, AUTO_DEFAULT);
        final List<Double> defaultBetas = List.of(BETA1_DEFAULT, BETA2_DEFAULT);
        final List<Double> betas = params.numberPair(BETAS, OptimizerConfig.BETA_RANGE, true)
            .orAuto(defaultBetas, defaultBetas, AUTO_DEFAULT);
        final double eps = params.number(EPS, OptimizerConfig.EPS_RANGE, true).orAuto(EPS_DEFAULT, EPS_DEFAULT, AUTO_DEFAULT);
        final double weightDecay = params.number(WEIGHT_DECAY, OptimizerConfig.WEIGHT_DECAY_RANGE, true)
            .orAuto(WEIGHT_DECAY_DEFAULT, WEIGHT_DECAY_DEFAULT, AUTO_DEFAULT);
        if (adamWModeField.isGiven()) {
            adamWModeField.record(adamWModeField.value(), Source.FILE, "");
        } else if (!adamWModeField.isInvalid()) {
            adamWModeField.record(type == Type.ADAMW, Source.DEFAULT, "");
        }
        final Field<Boolean> torchAdam = params.bool(TORCH_ADAM, false);
        if (!torchAdam.isInvalid()) {
            torchAdam.record(torchAdam.isGiven() && torchAdam.value(), torchAdam.isGiven() ? Source.FILE : Source.DEFAULT,
                "no effect in zeroshard");
        }
        return resolution.build(mark, () -> new OptimizerConfig(type, lr, betas.get(0), betas.get(1), eps, weightDecay));
    }

    private static Type parseType(final JsonFields section, final String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "adam" -> Type.ADAM;
            case "adamw" -> Type.ADAMW;
            default -> {
                section.error(TYPE, "not supported by zeroshard; use Adam or AdamW");
                yield Type.ADAMW;
            }
        };
    }

    /**
     * DeepSpeed: type AdamW always decouples weight decay (it ignores {@code adam_w_mode: false},
     * which is refused here); type Adam is AdamW unless {@code adam_w_mode} is false.
     */
    private static Type resolveType(
        final Type written, final Field<String> typeField, final JsonFields params, final Field<Boolean> adamWMode) {
        if (typeField.isInvalid()) {
            return written;
        }
        if (!typeField.isGiven()) {
            typeField.record(Type.ADAMW.jsonName(), Source.DEFAULT, "");
            return Type.ADAMW;
        }
        final boolean wMode = !adamWMode.isGiven() || adamWMode.value();
        if (written == Type.ADAMW && !wMode) {
            params.error(ADAM_W_MODE, "contradicts optimizer.type " + JsonValues.quote(typeField.value())
                + " (DeepSpeed ignores it); use type Adam for Adam with L2 weight decay");
        }
        final Type type = written == Type.ADAMW || wMode ? Type.ADAMW : Type.ADAM;
        final boolean renamed = written == Type.ADAM && type == Type.ADAMW;
        typeField.record(type.jsonName(), Source.FILE, renamed
            ? JsonValues.quote(typeField.value()) + " with adam_w_mode true (DeepSpeed's default) is AdamW"
            : "");
        return type;
    }
}
