package dev.zeroshard.protocol.config;

import java.util.Objects;

/**
 * The {@code optimizer} section: Adam with L2 weight decay added to the gradient ({@link Type#ADAM},
 * DeepSpeed's {@code "Adam"} with {@code adam_w_mode: false}) or decoupled weight decay ({@link
 * Type#ADAMW}, DeepSpeed's {@code "AdamW"}, and {@code "Adam"} with its default {@code adam_w_mode: true}).
 * Defaults are DeepSpeed's (those of its FusedAdam and of {@code torch.optim.AdamW} but weight decay).
 *
 * @param type        ADAM or ADAMW.
 * @param lr          base learning rate, > 0; a scheduler shapes it over steps.
 * @param beta1       first-moment decay, in [0, 1).
 * @param beta2       second-moment decay, in [0, 1).
 * @param eps         denominator term, > 0.
 * @param weightDecay >= 0.
 */
public record OptimizerConfig(Type type, double lr, double beta1, double beta2, double eps, double weightDecay) {
    /** The Adam variant. */
    public enum Type {
        ADAM("Adam"),
        ADAMW("AdamW");

        private final String jsonName;

        Type(final String jsonName) {
            this.jsonName = jsonName;
        }

        /** DeepSpeed's {@code optimizer.type}: {@code Adam}, {@code AdamW}. */
        public String jsonName() {
            return jsonName;
        }
    }

    public static final String SECTION = "optimizer";
    public static final String TYPE = "type";
    public static final String PARAMS = "params";
    public static final String LR = "lr";
    public static final String BETAS = "betas";
    public static final String EPS = "eps";
    public static final String WEIGHT_DECAY = "weight_decay";
    /** DeepSpeed's switch between Adam (false) and AdamW (true, its default) for type {@code Adam}. */
    public static final String ADAM_W_MODE = "adam_w_mode";
    /** DeepSpeed's choice of torch's Adam over its fused kernel; no effect here. */
    public static final String TORCH_ADAM = "torch_adam";

    public static final double LR_DEFAULT = 1e-3;
    public static final double BETA1_DEFAULT = 0.9;
    public static final double BETA2_DEFAULT = 0.999;
    public static final double EPS_DEFAULT = 1e-8;
    public static final double WEIGHT_DECAY_DEFAULT = 0.0;

    static final DoubleRange LR_RANGE = DoubleRange.POSITIVE;
    static final DoubleRange BETA_RANGE = DoubleRange.UNIT_EXCLUSIVE;
    static final DoubleRange EPS_RANGE = DoubleRange.POSITIVE;
    static final DoubleRange WEIGHT_DECAY_RANGE = DoubleRange.NON_NEGATIVE;

    /** What DeepSpeed uses without an {@code optimizer} section in this trainer: AdamW with its defaults. */
    public static final OptimizerConfig DEFAULT =
        new OptimizerConfig(Type.ADAMW, LR_DEFAULT, BETA1_DEFAULT, BETA2_DEFAULT, EPS_DEFAULT, WEIGHT_DECAY_DEFAULT);

    public OptimizerConfig {
        Objects.requireNonNull(type, "type");
        new Violations()
            .check(param(LR), lr, LR_RANGE)
            .check(param(BETAS) + "[0]", beta1, BETA_RANGE)
            .check(param(BETAS) + "[1]", beta2, BETA_RANGE)
            .check(param(EPS), eps, EPS_RANGE)
            .check(param(WEIGHT_DECAY), weightDecay, WEIGHT_DECAY_RANGE)
            .throwIfAny();
    }

    /** {@code optimizer.params.<key>}. */
    static String param(final String key) {
        return SECTION + "." + PARAMS + "." + key;
    }
}
