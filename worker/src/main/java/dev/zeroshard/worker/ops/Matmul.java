package dev.zeroshard.worker.ops;

import dev.zeroshard.worker.backend.cpu.Gemm;
import java.util.Arrays;

/**
 * The linear layers of GPT-2 over flat buffers, with Hugging Face's Conv1D layout: a weight is
 * (C, OC), input dimension first, so {@code out = inp · weight + bias} with no transpose. The tied
 * LM head multiplies by the token embedding wte (V, C) transposed. Backward functions add into
 * their gradient buffers (llm.c's convention), so gradient accumulation needs no extra pass.
 *
 * <p>Every product goes through the {@link Gemm} the caller passes (native where it loads); the
 * bias broadcast and the bias gradient are the only loops here. All results are deterministic for
 * a given Gemm: the bias gradient sums each column over rows in row order whatever the thread count.
 */
public final class Matmul {
    /** Columns per chunk of the bias-gradient sum. */
    private static final int BIAS_COLUMNS_PER_CHUNK = 128;

    private Matmul() {
    }

    /**
     * out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC); {@code bias} may be null (no bias).
     * {@code out} must not overlap {@code inp} or {@code weight}.
     */
    public static void forward(final Gemm gemm, final float[] out, final int outOff, final float[] inp,
        final int inpOff, final float[] weight, final int weightOff, final float[] bias, final int biasOff,
        final int n, final int c, final int oc) {
        if (bias != null) {
            broadcastRows(out, outOff, bias, biasOff, n, oc);
        }
        gemm.sgemm(false, false, n, oc, c, 1f, inp, inpOff, c, weight, weightOff, oc, bias != null ? 1f : 0f,
            out, outOff, oc);
    }

    /**
     * Adds the gradients of {@link #forward}: dinp (N,C) += dout (N,OC) · weightᵀ; dweight (C,OC) +=
     * inpᵀ · dout; dbias (OC) += Σ_n dout[n, :]. {@code dbias} may be null (no bias).
     */
    public static void backward(final Gemm gemm, final float[] dinp, final int dinpOff, final float[] dweight,
        final int dweightOff, final float[] dbias, final int dbiasOff, final float[] dout, final int doutOff,
        final float[] inp, final int inpOff, final float[] weight, final int weightOff, final int n, final int c,
        final int oc) {
        // dinp (N,C) += dout (N,OC) · (weight (C,OC))ᵀ
        gemm.sgemm(false, true, n, c, oc, 1f, dout, doutOff, oc, weight, weightOff, oc, 1f, dinp, dinpOff, c);
        // dweight (C,OC) += (inp (N,C))ᵀ · dout (N,OC)
        gemm.sgemm(true, false, c, oc, n, 1f, inp, inpOff, c, dout, doutOff, oc, 1f, dweight, dweightOff, oc);
        if (dbias != null) {
            sumRows(dbias, dbiasOff, dout, doutOff, n, oc);
        }
    }

    /** The tied LM head: out (N,V) = inp (N,C) · weightᵀ with weight (V,C) (the token embedding). */
    public static void forwardTransposed(final Gemm gemm, final float[] out, final int outOff, final float[] inp,
        final int inpOff, final float[] weight, final int weightOff, final int n, final int c, final int v) {
        gemm.sgemm(false, true, n, v, c, 1f, inp, inpOff, c, weight, weightOff, c, 0f, out, outOff, v);
    }

    /**
     * Adds the gradients of {@link #forwardTransposed}: dinp (N,C) += dout (N,V) · weight (V,C);
     * dweight (V,C) += doutᵀ · inp (N,C).
     */
    public static void backwardTransposed(final Gemm gemm, final float[] dinp, final int dinpOff,
        final float[] dweight, final int dweightOff, final float[] dout, final int doutOff, final float[] inp,
        final int inpOff, final float[] weight, final int weightOff, final int n, final int c, final int v) {
        // dinp (N,C) += dout (N,V) · weight (V,C)
        gemm.sgemm(false, false, n, c, v, 1f, dout, doutOff, v, weight, weightOff, c, 1f, dinp, dinpOff, c);
        // dweight (V,C) += (dout (N,V))ᵀ · inp (N,C)
        gemm.sgemm(true, false, v, c, n, 1f, dout, doutOff, v, inp, inpOff, c, 1f, dweight, dweightOff, c);
    }

    /**
     * bf16 {@link #forward}: inp (N,C) and weight (C,OC) are bf16 bit patterns, out and bias fp32,
     * products accumulated in fp32 ({@link Gemm#bf16gemm}).
     */
    public static void forwardBf16(final Gemm gemm, final float[] out, final int outOff, final short[] inp,
        final int inpOff, final short[] weight, final int weightOff, final float[] bias, final int biasOff,
        final int n, final int c, final int oc) {
        if (bias != null) {
            broadcastRows(out, outOff, bias, biasOff, n, oc);
        }
        gemm.bf16gemm(false, false, n, oc, c, 1f, inp, inpOff, c, weight, weightOff, oc, bias != null ? 1f : 0f,
            out, outOff, oc);
    }

    /**
     * bf16 {@link #backward}: dout (N,OC) is fp32 and is rounded to bf16 once into
     * {@code doutBits} (at least N·OC, from 0) for both products, as autocast does; inp and weight
     * are bf16 bit patterns; dinp, dweight and dbias accumulate in fp32 (dbias from the fp32 dout).
     */
    public static void backwardBf16(final Gemm gemm, final float[] dinp, final int dinpOff, final float[] dweight,
        final int dweightOff, final float[] dbias, final int dbiasOff, final float[] dout, final int doutOff,
        final short[] doutBits, final short[] inp, final int inpOff, final short[] weight, final int weightOff,
        final int n, final int c, final int oc) {
        Bf16Convert.toBits(dout, doutOff, doutBits, 0, n * oc);
        // dinp (N,C) += dout (N,OC) · (weight (C,OC))ᵀ
        gemm.bf16gemm(false, true, n, c, oc, 1f, doutBits, 0, oc, weight, weightOff, oc, 1f, dinp, dinpOff, c);
        // dweight (C,OC) += (inp (N,C))ᵀ · dout (N,OC)
        gemm.bf16gemm(true, false, c, oc, n, 1f, inp, inpOff, c, doutBits, 0, oc, 1f, dweight, dweightOff, oc);
        if (dbias != null) {
            sumRows(dbias, dbiasOff, dout, doutOff, n, oc);
        }
    }

    /** bf16 {@link #forwardTransposed}: inp (N,C) and weight (V,C) are bf16 bit patterns. */
    public static void forwardTransposedBf16(final Gemm gemm, final float[] out, final int outOff, final short[] inp,
        final int inpOff, final short[] weight, final int weightOff, final int n, final int c, final int v) {
        gemm.bf16gemm(false, true, n, v, c, 1f, inp, inpOff, c, weight, weightOff, c, 0f, out, outOff, v);
    }

    /**
     * bf16 {@link #backwardTransposed}: dout (N,V) is rounded once into {@code doutBits} (at least
     * N·V, from 0); inp (N,C) and weight (V,C) are bf16 bit patterns.
     */
    public static void backwardTransposedBf16(final Gemm gemm, final float[] dinp, final int dinpOff,
        final float[] dweight, final int dweightOff, final float[] dout, final int doutOff, final short[] doutBits,
        final short[] inp, final int inpOff, final short[] weight, final int weightOff, final int n, final int c,
        final int v) {
        Bf16Convert.toBits(dout, doutOff, doutBits, 0, n * v);
        // dinp (N,C) += dout (N,V) · weight (V,C)
        gemm.bf16gemm(false, false, n, c, v, 1f, doutBits, 0, v, weight, weightOff, c, 1f, dinp, dinpOff, c);
        // dweight (V,C) += (dout (N,V))ᵀ · inp (N,C)
        gemm.bf16gemm(true, false, v, c, n, 1f, doutBits, 0, v, inp, inpOff, c, 1f, dweight, dweightOff, c);
    }

    /** Every row of out (N,OC) = bias (OC). */
    private static void broadcastRows(final float[] out, final int outOff, final float[] bias, final int biasOff,
        final int n, final int oc) {
        Parallel.shared().forRange(n, Math.max(1, 8192 / Math.max(1, oc)), (from, to) -> {
            for (int i = from; i < to; i++) {
                System.arraycopy(bias, biasOff, out, outOff + i * oc, oc);
            }
        });
    }

    /** dbias (OC) += Σ_n dout[n, :], each column summed in row order (deterministic). */
    private static void sumRows(final float[] dbias, final int dbiasOff, final float[] dout, final int doutOff,
        final int n, final int oc) {
        final int chunks = (oc + BIAS_COLUMNS_PER_CHUNK - 1) / BIAS_COLUMNS_PER_CHUNK;
        Parallel.shared().forRange(chunks, (from, to) -> {
            // zero-based copies: C2 (JDK 17) vectorises acc[j] += row[j], not acc[j] += dout[off + j]
            final float[] acc = new float[BIAS_COLUMNS_PER_CHUNK];
            final float[] row = new float[BIAS_COLUMNS_PER_CHUNK];
            for (int chunk = from; chunk < to; chunk++) {
                final int j0 = chunk * BIAS_COLUMNS_PER_CHUNK;
                final int width = Math.min(BIAS_COLUMNS_PER_CHUNK, oc - j0);
                Arrays.fill(acc, 0f);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(dout, doutOff + i * oc + j0, row, 0, width);
                    addTo(acc, row, width);
                }
                for (int j = 0; j < width; j++) {
                    dbias[dbiasOff + j0 + j] += acc[j];
                }
            }
        });
    }

    private static void addTo(final float[] acc, final float[] row, final int width) {
        for (int j = 0; j < width; j++) {
            acc[j] += row[j];
        }
    }
}
