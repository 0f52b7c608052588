package dev.zeroshard.worker.ops;

import dev.zeroshard.worker.backend.cpu.MatrixBuffer;

import java.util.Arrays;

/**
 * LayerNorm over the last dimension, with the statistics forward saves for backward. Rows run in
 * parallel; each row's vector body is {@link LayerNormSimd} where the Vector API is present.
 */
public final class LayerNorm {
    private LayerNorm() {
    }

    /**
     * out (N,C) = (inp - mean) * rstd * weight + bias, per row.
     *
     * @param mean (N) and rstd (N): saved for backward.
     */
    public static void forward(final float[] out, final int outOff, final float[] mean, final int meanOff,
        final float[] rstd, final int rstdOff, final float[] inp, final int inpOff, final float[] params,
        final int weightOff, final int biasOff, final int N, final int C, final float eps) {
        Parallel.shared().forRange(N, 8, (from, to) -> {
            final float[] lanes = Simd.ENABLED ? new float[LayerNormSimd.lanes()] : null;
            final float[] stats = new float[2];
            for (int n = from; n < to; n++) {
                forwardRow(out, outOff + n * C, stats, inp, inpOff + n * C, params, weightOff, biasOff, C, eps, lanes);
                mean[meanOff + n] = stats[0];
                rstd[rstdOff + n] = stats[1];
            }
        });
    }

    /**
     * {@link #forward} writing the output rows straight into a matrix buffer from {@code outIndex}
     * (rounded there in bf16 mode), each row through a small array: no full-size fp32 copy.
     */
    public static void forward(final MatrixBuffer out, final long outIndex, final float[] mean, final int meanOff,
        final float[] rstd, final int rstdOff, final float[] inp, final int inpOff, final float[] params,
        final int weightOff, final int biasOff, final int N, final int C, final float eps) {
        Parallel.shared().forRange(N, 8, (from, to) -> {
            final float[] lanes = Simd.ENABLED ? new float[LayerNormSimd.lanes()] : null;
            final float[] stats = new float[2];
            final float[] row = new float[C];
            for (int n = from; n < to; n++) {
                forwardRow(row, 0, stats, inp, inpOff + n * C, params, weightOff, biasOff, C, eps, lanes);
                out.writeOnThisThread(outIndex + (long)n * C, row, 0, C);
                mean[meanOff + n] = stats[0];
                rstd[rstdOff + n] = stats[1];
            }
        });
    }

    /** One row: out[o..] from inp[x..], its mean and rstd into stats[0] and stats[1]. */
    private static void forwardRow(final float[] out, final int o, final float[] stats, final float[] inp, final int x,
        final float[] params, final int weightOff, final int biasOff, final int C, final float eps,
        final float[] lanes) {
        if (Simd.ENABLED) {
            LayerNormSimd.forwardRow(out, o, inp, x, params, weightOff, biasOff, C, eps, stats, lanes);
            return;
        }
        float sum = 0f;
        for (int c = 0; c < C; c++) {
            sum += inp[x + c];
        }
        final float m = sum / C;
        float var = 0f;
        for (int c = 0; c < C; c++) {
            final float d = inp[x + c] - m;
            var += d * d;
        }
        final float s = (float)(1.0 / Math.sqrt(var / C + eps));
        normalizeColumns(out, o, inp, x, params, weightOff, biasOff, m, s, 0, C);
        stats[0] = m;
        stats[1] = s;
    }

    /**
     * Adds dinp (N,C), dweight (C) and dbias (C) from dout (N,C):
     * dnorm = dout * weight; dinp = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)).
     *
     * @param scratch at least {@link #scratchLength(int, int)} floats.
     */
    public static void backward(final float[] dinp, final int dinpOff, final float[] grads, final int dweightOff,
        final int dbiasOff, final float[] dout, final int doutOff, final float[] inp, final int inpOff,
        final float[] params, final int weightOff, final float[] mean, final int meanOff, final float[] rstd,
        final int rstdOff, final int N, final int C, final float[] scratch) {
        final int blocks = RowBlocks.count(N);
        // partials: per block, C sums for dweight then C for dbias
        Arrays.fill(scratch, 0, blocks * 2 * C, 0f);
        Parallel.shared().forRange(blocks, (b0, b1) -> {
            final float[] lanes = Simd.ENABLED ? new float[LayerNormSimd.lanes()] : null;
            final float[] sums = new float[2];
            for (int block = b0; block < b1; block++) {
                final int dw = block * 2 * C;
                final int db = dw + C;
                final int rowEnd = Math.min(N, (block + 1) * RowBlocks.ROWS);
                for (int n = block * RowBlocks.ROWS; n < rowEnd; n++) {
                    final int x = inpOff + n * C;
                    final int d = doutOff + n * C;
                    final float m = mean[meanOff + n];
                    final float s = rstd[rstdOff + n];
                    if (Simd.ENABLED) {
                        LayerNormSimd.backwardRow(dinp, dinpOff + n * C, scratch, dw, db, dout, d, inp, x, params,
                            weightOff, m, s, C, lanes);
                        continue;
                    }
                    sums[0] = 0f;
                    sums[1] = 0f;
                    sumColumns(sums, dout, d, inp, x, params, weightOff, m, s, 0, C);
                    final float dnormMean = sums[0] / C;
                    final float dnormNormMean = sums[1] / C;
                    backwardColumns(dinp, dinpOff + n * C, scratch, dw, db, dout, d, inp, x, params, weightOff, m, s,
                        dnormMean, dnormNormMean, 0, C);
                }
            }
        });
        for (int block = 0; block < blocks; block++) {
            final int dw = block * 2 * C;
            for (int c = 0; c < C; c++) {
                grads[dweightOff + c] += scratch[dw + c];
                grads[dbiasOff + c] += scratch[dw + C + c];
            }
        }
    }

    /** out[o + c] = (inp[x + c] - mean) * rstd * weight[c] + bias[c] for c in [from, to): one row's columns. */
    static void normalizeColumns(final float[] out, final int o, final float[] inp, final int x, final float[] params,
        final int weightOff, final int biasOff, final float m, final float s, final int from, final int to) {
        for (int c = from; c < to; c++) {
            out[o + c] = (inp[x + c] - m) * s * params[weightOff + c] + params[biasOff + c];
        }
    }

    /** sums[0] += Σ dnorm, sums[1] += Σ dnorm·norm over one row's columns [from, to) (backward's two sums). */
    static void sumColumns(final float[] sums, final float[] dout, final int d, final float[] inp, final int x,
        final float[] params, final int weightOff, final float m, final float s, final int from, final int to) {
        float dnormSum = sums[0];
        float dnormNormSum = sums[1];
        for (int c = from; c < to; c++) {
            final float norm = (inp[x + c] - m) * s;
            final float dnorm = params[weightOff + c] * dout[d + c];
            dnormSum += dnorm;
            dnormNormSum += dnorm * norm;
        }
        sums[0] = dnormSum;
        sums[1] = dnormNormSum;
    }

    /**
     * One row's columns [from, to) of the backward update, given the row's two means: adds into
     * dinp[di..] and the block's partial dweight (scratch[dw..]) and dbias (scratch[db..]).
     */
    static void backwardColumns(final float[] dinp, final int di, final float[] scratch, final int dw, final int db,
        final float[] dout, final int d, final float[] inp, final int x, final float[] params, final int weightOff,
        final float m, final float s, final float dnormMean, final float dnormNormMean, final int from,
        final int to) {
        for (int c = from; c < to; c++) {
            final float norm = (inp[x + c] - m) * s;
            final float dnorm = params[weightOff + c] * dout[d + c];
            scratch[db + c] += dout[d + c];
            scratch[dw + c] += norm * dout[d + c];
            dinp[di + c] += (dnorm - dnormMean - norm * dnormNormMean) * s;
        }
    }

    /** Scratch floats {@link #backward} needs for N rows of width C. */
    public static int scratchLength(final int N, final int C) {
        return RowBlocks.count(N) * 2 * C;
    }
}
