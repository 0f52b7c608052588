package dev.zeroshard.worker.ops;

import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.Operand;
import java.util.Arrays;

/**
 * The linear layers of GPT-2 over flat buffers, with Hugging Face's Conv1D layout: a weight is
 * (C, OC), input dimension first, so {@code out = inp · weight + bias} with no transpose. The tied
 * LM head multiplies by the token embedding wte (V, C) transposed.
 *
 * <p>Matrix inputs are {@link Operand}s, fp32 or bf16: in bf16 mode the model hands in bf16
 * activations and weights and every product runs in bf16 with fp32 accumulation (autocast's
 * contract); outputs and gradients are fp32. Backward takes the upstream gradient twice: as fp32
 * (for the bias gradient) and as the operand the products read ({@code doutOperand}, the same values
 * in the model's matrix precision, written once for both products).
 *
 * <p>Forward outputs and input gradients are written (not added to): each has one producer. Weight
 * and bias gradients are added to, so that gradient accumulation needs no extra pass. Every product
 * goes through the {@link Gemm} the caller passes; the bias gradient is the only loop here and sums
 * each column over rows in row order whatever the thread count (deterministic).
 */
public final class Matmul {
    /** Columns per chunk of the bias-gradient sum. */
    private static final int BIAS_COLUMNS_PER_CHUNK = 128;

    private Matmul() {
    }

    /**
     * out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC); {@code bias} may be null (no bias).
     * {@code out} must not overlap the inputs.
     */
    public static void forward(final Gemm gemm, final float[] out, final int outOff, final Operand inp,
        final Operand weight, final float[] bias, final int biasOff, final int n, final int c, final int oc) {
        gemm.multiply(false, false, n, oc, c, 1f, inp, weight, 0f, out, outOff, oc, bias, biasOff);
    }

    /**
     * The gradients of {@link #forward}: dinp (N,C) = dout (N,OC) · weightᵀ; dweight (C,OC) +=
     * inpᵀ · dout; dbias (OC) += Σ_n dout[n, :]. {@code dbias} may be null (no bias); {@code dout}
     * (fp32) and {@code doutOperand} hold the same gradient.
     */
    public static void backward(final Gemm gemm, final float[] dinp, final int dinpOff, final float[] dweight,
        final int dweightOff, final float[] dbias, final int dbiasOff, final float[] dout, final int doutOff,
        final Operand doutOperand, final Operand inp, final Operand weight, final int n, final int c, final int oc) {
        // dinp (N,C) = dout (N,OC) · (weight (C,OC))ᵀ
        gemm.multiply(false, true, n, c, oc, 1f, doutOperand, weight, 0f, dinp, dinpOff, c, null, 0);
        // dweight (C,OC) += (inp (N,C))ᵀ · dout (N,OC)
        gemm.multiply(true, false, c, oc, n, 1f, inp, doutOperand, 1f, dweight, dweightOff, oc, null, 0);
        if (dbias != null) {
            sumRows(dbias, dbiasOff, dout, doutOff, n, oc);
        }
    }

    /** The tied LM head: out (N,V) = inp (N,C) · weightᵀ with weight (V,C) (the token embedding). */
    public static void forwardTransposed(final Gemm gemm, final float[] out, final int outOff, final Operand inp,
        final Operand weight, final int n, final int c, final int v) {
        gemm.multiply(false, true, n, v, c, 1f, inp, weight, 0f, out, outOff, v, null, 0);
    }

    /**
     * The gradients of {@link #forwardTransposed}: dinp (N,C) = dout (N,V) · weight (V,C); dweight
     * (V,C) += doutᵀ · inp (N,C).
     */
    public static void backwardTransposed(final Gemm gemm, final float[] dinp, final int dinpOff,
        final float[] dweight, final int dweightOff, final Operand dout, final Operand inp, final Operand weight,
        final int n, final int c, final int v) {
        // dinp (N,C) = dout (N,V) · weight (V,C)
        gemm.multiply(false, false, n, c, v, 1f, dout, weight, 0f, dinp, dinpOff, c, null, 0);
        // dweight (V,C) += (dout (N,V))ᵀ · inp (N,C)
        gemm.multiply(true, false, v, c, n, 1f, dout, inp, 1f, dweight, dweightOff, c, null, 0);
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
