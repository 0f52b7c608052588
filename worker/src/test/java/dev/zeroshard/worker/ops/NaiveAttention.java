package dev.zeroshard.worker.ops;

/**
 * Textbook causal attention in double precision, the reference {@link FlashAttention} is checked
 * against: per (batch, head) the full T×T matrix P = softmax(Q·Kᵀ/√hs + causal mask) and O = P·V,
 * and the backward pass through it. Same layout as {@link FlashAttention}: qkv is (B,T,3C), out is
 * (B,T,C), lse is (B,NH,T).
 */
final class NaiveAttention {
    private NaiveAttention() {
    }

    /** out (B,T,C) and lse (B,NH,T) are overwritten. */
    static void forward(final double[] out, final double[] lse, final double[] qkv,
                        final int B, final int T, final int C, final int NH) {
        final int hs = C / NH;
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                final double[] rowLse = new double[T];
                final double[][] p = probabilities(qkv, b, h, T, C, NH, rowLse);
                for (int i = 0; i < T; i++) {
                    lse[(b * NH + h) * T + i] = rowLse[i];
                    for (int d = 0; d < hs; d++) {
                        double acc = 0.0;
                        for (int j = 0; j <= i; j++) {
                            acc += p[i][j] * qkv[v(b, j, h, T, C, hs) + d];
                        }
                        out[(b * T + i) * C + h * hs + d] = acc;
                    }
                }
            }
        }
    }

    /** Adds d(Σ dout∘out)/d(qkv) into dqkv (B,T,3C). */
    static void backward(final double[] dqkv, final double[] dout, final double[] qkv,
                         final int B, final int T, final int C, final int NH) {
        final int hs = C / NH;
        final double scale = 1.0 / Math.sqrt(hs);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                final double[][] p = probabilities(qkv, b, h, T, C, NH, new double[T]);
                for (int i = 0; i < T; i++) {
                    final int dOut = (b * T + i) * C + h * hs;
                    // dP_ij = dO_i·v_j ; dV_j += P_ij dO_i
                    final double[] dp = new double[i + 1];
                    for (int j = 0; j <= i; j++) {
                        dp[j] = dot(dout, dOut, qkv, v(b, j, h, T, C, hs), hs);
                        for (int d = 0; d < hs; d++) {
                            dqkv[v(b, j, h, T, C, hs) + d] += p[i][j] * dout[dOut + d];
                        }
                    }
                    // softmax backward: dS_ij = P_ij (dP_ij − Σ_l P_il dP_il)
                    double pdp = 0.0;
                    for (int j = 0; j <= i; j++) {
                        pdp += p[i][j] * dp[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        final double ds = p[i][j] * (dp[j] - pdp) * scale;
                        for (int d = 0; d < hs; d++) {
                            dqkv[q(b, i, h, T, C, hs) + d] += ds * qkv[k(b, j, h, T, C, hs) + d];
                            dqkv[k(b, j, h, T, C, hs) + d] += ds * qkv[q(b, i, h, T, C, hs) + d];
                        }
                    }
                }
            }
        }
    }

    /** P (T,T) of one head, zero above the diagonal; lse (T) receives each row's log-sum-exp. */
    private static double[][] probabilities(final double[] qkv, final int b, final int h,
                                            final int T, final int C, final int NH, final double[] lse) {
        final int hs = C / NH;
        final double scale = 1.0 / Math.sqrt(hs);
        final double[][] p = new double[T][T];
        for (int i = 0; i < T; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                p[i][j] = scale * dot(qkv, q(b, i, h, T, C, hs), qkv, k(b, j, h, T, C, hs), hs);
                max = Math.max(max, p[i][j]);
            }
            double sum = 0.0;
            for (int j = 0; j <= i; j++) {
                sum += Math.exp(p[i][j] - max);
            }
            lse[i] = max + Math.log(sum);
            for (int j = 0; j <= i; j++) {
                p[i][j] = Math.exp(p[i][j] - lse[i]);
            }
        }
        return p;
    }

    private static double dot(final double[] x, final int xOff, final double[] y, final int yOff, final int n) {
        double acc = 0.0;
        for (int i = 0; i < n; i++) {
            acc += x[xOff + i] * y[yOff + i];
        }
        return acc;
    }

    private static int q(final int b, final int t, final int h, final int T, final int C, final int hs) {
        return (b * T + t) * 3 * C + h * hs;
    }

    private static int k(final int b, final int t, final int h, final int T, final int C, final int hs) {
        return q(b, t, h, T, C, hs) + C;
    }

    private static int v(final int b, final int t, final int h, final int T, final int C, final int hs) {
        return q(b, t, h, T, C, hs) + 2 * C;
    }
}
