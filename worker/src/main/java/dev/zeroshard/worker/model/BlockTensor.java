package dev.zeroshard.worker.model;

/**
 * The parameter tensors of one transformer block, in their order inside the block. Names and
 * shapes are those of Hugging Face's GPT-2; linear weights keep its Conv1D layout, input dimension
 * first ({@code (in, out)}), so {@code out = in · W + b} with no transpose.
 */
public enum BlockTensor {
    LN_1_WEIGHT("ln_1.weight"),
    LN_1_BIAS("ln_1.bias"),
    ATTN_QKV_WEIGHT("attn.c_attn.weight"),
    ATTN_QKV_BIAS("attn.c_attn.bias"),
    ATTN_PROJ_WEIGHT("attn.c_proj.weight"),
    ATTN_PROJ_BIAS("attn.c_proj.bias"),
    LN_2_WEIGHT("ln_2.weight"),
    LN_2_BIAS("ln_2.bias"),
    MLP_FC_WEIGHT("mlp.c_fc.weight"),
    MLP_FC_BIAS("mlp.c_fc.bias"),
    MLP_PROJ_WEIGHT("mlp.c_proj.weight"),
    MLP_PROJ_BIAS("mlp.c_proj.bias");

    private final String suffix;

    BlockTensor(final String suffix) {
        this.suffix = suffix;
    }

    /** The Hugging Face name of this tensor in block {@code layer}, e.g. {@code h.3.attn.c_attn.weight}. */
    public String name(final int layer) {
        return "h." + layer + "." + suffix;
    }

    /** Shape in the given model, Hugging Face layout. */
    public long[] shape(final GptConfig config) {
        final long c = config.channels();
        final long inner = config.innerChannels();
        return switch (this) {
            case LN_1_WEIGHT, LN_1_BIAS, LN_2_WEIGHT, LN_2_BIAS, ATTN_PROJ_BIAS, MLP_PROJ_BIAS -> new long[] {c};
            case ATTN_QKV_WEIGHT -> new long[] {c, 3 * c};
            case ATTN_QKV_BIAS -> new long[] {3 * c};
            case ATTN_PROJ_WEIGHT -> new long[] {c, c};
            case MLP_FC_WEIGHT -> new long[] {c, inner};
            case MLP_FC_BIAS -> new long[] {inner};
            case MLP_PROJ_WEIGHT -> new long[] {inner, c};
        };
    }

    /** Residual projections get GPT-2's scaled initialisation, std / sqrt(2 L). */
    public boolean isResidualProjection() {
        return this == ATTN_PROJ_WEIGHT || this == MLP_PROJ_WEIGHT;
    }
}
