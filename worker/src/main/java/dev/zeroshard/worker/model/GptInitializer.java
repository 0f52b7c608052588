package dev.zeroshard.worker.model;

import dev.zeroshard.sharding.layout.TensorRange;

import java.util.SplittableRandom;

/**
 * GPT-2's initialisation, deterministic from a seed: linear and embedding weights normal(0, std),
 * residual projections normal(0, std / sqrt(2L)), biases 0, LayerNorm weights 1 and biases 0.
 * Each tensor draws from its own stream (seed and tensor index), so any range of the flat buffer
 * can be initialised without the rest, and the values do not depend on the JVM's Random.
 */
public final class GptInitializer {
    private GptInitializer() {
    }

    /** Fills {@code params} (Ψ floats, layout order). */
    public static void initialize(final GptLayout layout, final long seed, final float[] params) {
        final GptConfig config = layout.config();
        final double residualScale = 1.0 / Math.sqrt(2.0 * config.layers());
        int index = 0;
        for (final TensorRange tensor : layout.parameters().tensors()) {
            final int off = Math.toIntExact(tensor.offsetElements());
            final int length = Math.toIntExact(tensor.lengthElements());
            final String name = tensor.name();
            if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.equals(GptLayout.FINAL_NORM_WEIGHT)) {
                fill(params, off, length, 1f);
            } else if (!tensor.isMatrix()) {
                fill(params, off, length, 0f);
            } else {
                final boolean residual = name.endsWith("attn.c_proj.weight") || name.endsWith("mlp.c_proj.weight");
                final double std = config.initStd() * (residual ? residualScale : 1.0);
                normal(new SplittableRandom(seed * 1_000_003L + index), params, off, length, std);
            }
            index++;
        }
    }

    private static void fill(final float[] params, final int off, final int length, final float value) {
        for (int i = 0; i < length; i++) {
            params[off + i] = value;
        }
    }

    /** Box-Muller on the generator's uniform doubles: two normals per pair of draws. */
    private static void normal(final SplittableRandom random, final float[] out, final int off, final int length,
        final double std) {
        for (int i = 0; i < length; i += 2) {
            final double u1 = 1.0 - random.nextDouble();
            final double u2 = random.nextDouble();
            final double r = Math.sqrt(-2.0 * Math.log(u1)) * std;
            out[off + i] = (float)(r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < length) {
                out[off + i + 1] = (float)(r * Math.sin(2 * Math.PI * u2));
            }
        }
    }
}
