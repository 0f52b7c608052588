package dev.zeroshard.worker.ops;

import java.util.Arrays;

/**
 * Causal multi-head self-attention on the CPU, forward and backward, by the FlashAttention-2
 * algorithm: a tile of queries meets tiles of keys, the softmax is computed online (a running maximum
 * and sum per query row), and only the log-sum-exp of each row is kept for the backward pass, which
 * recomputes the probabilities tile by tile. No T×T matrix is formed. The derivation is in
 * {@code docs/attention-backward.md}.
 *
 * <p>Layout (GPT-2, as llm.c): {@code qkv} is (B,T,3C) with q in channels [0,C), k in [C,2C), v in
 * [2C,3C), head h owning channels [h·hs,(h+1)·hs) of each, hs = C/NH; {@code out} is (B,T,C) with
 * the heads concatenated; {@code lse} is (B,NH,T), the natural log-sum-exp of the scaled scores
 * q·k/√hs of each query row. Query t attends keys 0..t.
 *
 * <p>Two implementations with the same contract: {@link FlashAttentionSimd} (register-blocked tile
 * products on the Vector API) where the JVM has it ({@link Simd#ENABLED}), else
 * {@link FlashAttentionScalar} (loops HotSpot auto-vectorises). They differ by float rounding only.
 *
 * <p>Threading: the (batch, head) pairs are split over {@link Parallel#shared()}; each pair writes
 * only its own outputs, so results do not depend on the thread count.
 */
public final class FlashAttention {
    private FlashAttention() {
    }

    /**
     * Forward pass.
     *
     * @param out (B,T,C) attention output, overwritten
     * @param lse (B,NH,T) log-sum-exp of each row's scaled scores, overwritten (kept for backward)
     * @param qkv (B,T,3C) queries, keys and values
     */
    public static void forward(final float[] out, final int outOff, final float[] lse, final int lseOff,
                               final float[] qkv, final int qkvOff,
                               final int B, final int T, final int C, final int NH) {
        if (Simd.ENABLED) {
            FlashAttentionScalar.headSize(C, NH);
            FlashAttentionScalar.checkRange("qkv", qkv, qkvOff, (long)B * T * 3 * C);
            FlashAttentionScalar.checkRange("out", out, outOff, (long)B * T * C);
            FlashAttentionScalar.checkRange("lse", lse, lseOff, (long)B * NH * T);
            FlashAttentionSimd.forward(out, outOff, lse, lseOff, qkv, qkvOff, B, T, C, NH);
        } else {
            FlashAttentionScalar.forward(out, outOff, lse, lseOff, qkv, qkvOff, B, T, C, NH);
        }
    }

    /**
     * Backward pass: adds the gradients of q, k and v into {@code dqkv} (gradients accumulate).
     *
     * @param dqkv (B,T,3C) gradient of qkv, accumulated into
     * @param dout (B,T,C) gradient of the output
     * @param out (B,T,C) the forward output
     * @param lse (B,NH,T) the forward log-sum-exp
     * @param qkv (B,T,3C) the forward input
     */
    public static void backward(final float[] dqkv, final int dqkvOff, final float[] dout, final int doutOff,
                                final float[] out, final int outOff, final float[] lse, final int lseOff,
                                final float[] qkv, final int qkvOff,
                                final int B, final int T, final int C, final int NH) {
        backward(dqkv, dqkvOff, dout, doutOff, out, outOff, lse, lseOff, qkv, qkvOff, B, T, C, NH, true);
    }

    /**
     * As {@link #backward(float[], int, float[], int, float[], int, float[], int, float[], int, int, int,
     * int, int)}, but when {@code accumulate} is false dqkv is written over (no zero-fill needed).
     */
    public static void backward(final float[] dqkv, final int dqkvOff, final float[] dout, final int doutOff,
                                final float[] out, final int outOff, final float[] lse, final int lseOff,
                                final float[] qkv, final int qkvOff,
                                final int B, final int T, final int C, final int NH, final boolean accumulate) {
        if (Simd.ENABLED) {
            FlashAttentionScalar.headSize(C, NH);
            FlashAttentionScalar.checkRange("qkv", qkv, qkvOff, (long)B * T * 3 * C);
            FlashAttentionScalar.checkRange("dqkv", dqkv, dqkvOff, (long)B * T * 3 * C);
            FlashAttentionScalar.checkRange("out", out, outOff, (long)B * T * C);
            FlashAttentionScalar.checkRange("dout", dout, doutOff, (long)B * T * C);
            FlashAttentionScalar.checkRange("lse", lse, lseOff, (long)B * NH * T);
            FlashAttentionSimd.backward(dqkv, dqkvOff, dout, doutOff, out, outOff, lse, lseOff, qkv, qkvOff, B, T, C,
                NH, accumulate);
        } else {
            if (!accumulate) {
                Arrays.fill(dqkv, dqkvOff, dqkvOff + B * T * 3 * C, 0f);
            }
            FlashAttentionScalar.backward(dqkv, dqkvOff, dout, doutOff, out, outOff, lse, lseOff, qkv, qkvOff, B, T,
                C, NH);
        }
    }
}
