package dev.zeroshard.worker.model;

import dev.zeroshard.sharding.layout.ParameterLayout;
import dev.zeroshard.sharding.layout.TensorRange;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each GPT-2 parameter lives in the flat buffer: {@code wte}, {@code wpe}, then every block's
 * tensors together (block 0 first, so a block is one contiguous range, which ZeRO stage 3 gathers
 * as a unit), then the final LayerNorm. Offsets are precomputed as ints for the hot path.
 */
public final class GptLayout {
    public static final String TOKEN_EMBEDDING = "wte.weight";
    public static final String POSITION_EMBEDDING = "wpe.weight";
    public static final String FINAL_NORM_WEIGHT = "ln_f.weight";
    public static final String FINAL_NORM_BIAS = "ln_f.bias";

    private final GptConfig config;
    private final ParameterLayout layout;
    private final int[][] blockOffsets;

    public GptLayout(final GptConfig config) {
        this.config = config;
        final ParameterLayout.Builder builder = ParameterLayout.builder()
            .add(TOKEN_EMBEDDING, config.vocabSize(), config.channels())
            .add(POSITION_EMBEDDING, config.maxSeqLen(), config.channels());
        for (int layer = 0; layer < config.layers(); layer++) {
            for (final BlockTensor tensor : BlockTensor.values()) {
                builder.add(tensor.name(layer), tensor.shape(config));
            }
        }
        builder.add(FINAL_NORM_WEIGHT, config.channels()).add(FINAL_NORM_BIAS, config.channels());
        this.layout = builder.build();
        if (layout.totalElements() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model has " + layout.totalElements()
                + " parameters; one flat Java array holds at most " + (Integer.MAX_VALUE - 8));
        }
        this.blockOffsets = new int[config.layers()][BlockTensor.values().length];
        for (int layer = 0; layer < config.layers(); layer++) {
            for (final BlockTensor tensor : BlockTensor.values()) {
                blockOffsets[layer][tensor.ordinal()] = offset(tensor.name(layer));
            }
        }
    }

    public GptConfig config() {
        return config;
    }

    public ParameterLayout parameters() {
        return layout;
    }

    /** Ψ: the number of parameters. */
    public int totalElements() {
        return (int)layout.totalElements();
    }

    /** Offset of a named tensor, in elements. */
    public int offset(final String name) {
        return Math.toIntExact(layout.tensor(name).offsetElements());
    }

    /** Offset of a block tensor, in elements. */
    public int offset(final BlockTensor tensor, final int layer) {
        return blockOffsets[layer][tensor.ordinal()];
    }

    /** The first element of block {@code layer}. */
    public int blockStart(final int layer) {
        return offset(BlockTensor.LN_1_WEIGHT, layer);
    }

    /** One past the last element of block {@code layer}. */
    public int blockEnd(final int layer) {
        return Math.toIntExact(layout.tensor(BlockTensor.MLP_PROJ_BIAS.name(layer)).endElements());
    }

    /** Units of the layout: the embeddings, each block, the final LayerNorm, in buffer order. */
    public int unitCount() {
        return config.layers() + 2;
    }

    /** The unit of the token and position embeddings (first in the buffer). */
    public static int embeddingUnit() {
        return 0;
    }

    /** The unit of block {@code layer}. */
    public static int blockUnit(final int layer) {
        return layer + 1;
    }

    /** The unit of the final LayerNorm (last in the buffer). */
    public int finalNormUnit() {
        return config.layers() + 1;
    }

    /** First element of unit {@code unit}. */
    public int unitStart(final int unit) {
        if (unit == embeddingUnit()) {
            return 0;
        }
        return unit == finalNormUnit() ? offset(FINAL_NORM_WEIGHT) : blockStart(unit - 1);
    }

    /** One past the last element of unit {@code unit}. */
    public int unitEnd(final int unit) {
        return unit == finalNormUnit() ? totalElements() : unitStart(unit + 1);
    }

    /** A name for unit {@code unit} in messages: {@code embeddings}, {@code h.3}, {@code ln_f}. */
    public String unitName(final int unit) {
        if (unit == embeddingUnit()) {
            return "embeddings";
        }
        return unit == finalNormUnit() ? "ln_f" : "h." + (unit - 1);
    }

    public TensorRange tensor(final String name) {
        return layout.tensor(name);
    }

    /**
     * The ranges of unit {@code unit}'s vectors (LayerNorm weights and biases, linear biases: every tensor that is
     * not a matrix), adjacent ones merged, as {@code [start0, end0, start1, end1, ...]} in buffer order. These are
     * what a backend that keeps matrices in bf16 still reads in fp32.
     */
    public int[] vectorRanges(final int unit) {
        final int start = unitStart(unit);
        final int end = unitEnd(unit);
        final List<int[]> ranges = new ArrayList<>();
        for (final TensorRange tensor : layout.tensors()) {
            if (tensor.isMatrix() || tensor.offsetElements() < start || tensor.endElements() > end) {
                continue;
            }
            final int from = Math.toIntExact(tensor.offsetElements());
            final int to = Math.toIntExact(tensor.endElements());
            final int[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (last != null && last[1] == from) {
                last[1] = to;
            } else {
                ranges.add(new int[] {from, to});
            }
        }
        final int[] flat = new int[2 * ranges.size()];
        for (int i = 0; i < ranges.size(); i++) {
            flat[2 * i] = ranges.get(i)[0];
            flat[2 * i + 1] = ranges.get(i)[1];
        }
        return flat;
    }
}
