package dev.zeroshard.worker.ops;

import java.util.Arrays;

/**
 * {@link FlashAttention} without the Vector API (where the JVM lacks {@code jdk.incubator.vector}),
 * in loops HotSpot auto-vectorises. Causal multi-head self-attention by the FlashAttention-2
 * algorithm: tiles of {@link #TILE_QUERIES} queries meet tiles of {@link #TILE_KEYS} keys, the
 * softmax is computed online (a running maximum and sum per query row), and only the log-sum-exp
 * of each row is kept for the backward pass, which recomputes the probabilities tile by tile. Tiles
 * wholly above the causal diagonal are skipped and the diagonal tiles are masked. No T×T matrix is
 * formed: scratch is O(T·hs) per thread. The derivation is in {@code docs/attention-backward.md}.
 *
 * <p>Layout (GPT-2, as llm.c): {@code qkv} is (B,T,3C) with q in channels [0,C), k in [C,2C), v in
 * [2C,3C), head h owning channels [h·hs,(h+1)·hs) of each, hs = C/NH; {@code out} is (B,T,C) with
 * the heads concatenated; {@code lse} is (B,NH,T), the natural log-sum-exp of the scaled scores
 * q·k/√hs of each query row. Query t attends keys 0..t.
 *
 * <p>Threading: the (batch, head) pairs are split over {@link Parallel#shared()}; each pair writes
 * only its own outputs, so results do not depend on the thread count.
 *
 * <p>Why the loops look the way they do. HotSpot C2 (JDK 17) vectorises a loop only if every
 * array in it is indexed by the loop variable plus one common invariant, if its body is small
 * enough to unroll, and never for float reductions, {@code Math.exp} or float/int bit moves; and it
 * sizes the vectors by the trip count it profiled (a 32-long loop gets 4 lanes, a 128-long one 8,
 * 512 gets 16). So: every tile is stored transposed, one Java array per row, with the query index
 * as the long, contiguous dimension; the products are axpys over queries, four inputs per pass
 * (wider bodies stop vectorising); row maxima and sums become element-wise operations across key
 * rows; the exponential is a vectorisable polynomial ({@link #exp2Diff}); and short loops (the
 * diagonal tiles, the head dimension) run in their own copies of the axpy so that their profiles do
 * not shrink the vectors of the long ones.
 */
final class FlashAttentionScalar {
    /** Query rows per tile: the vector dimension of every inner loop, so long rather than small. */
    static final int TILE_QUERIES = 256;
    /** Keys per tile: a (TILE_KEYS, TILE_QUERIES) score tile is 64 KiB, at home in L2. */
    static final int TILE_KEYS = 64;

    private static final double LOG2_E = 1.4426950408889634;
    private static final double LN_2 = 0.6931471805599453;
    /** 1.5·2^23: for |x| < 2^22, (x + M) − M is x rounded to the nearest integer. */
    private static final float ROUND_MAGIC = 12582912f;
    /** Exponents below this are clamped: 2^-63 ≈ 1e-19 is nothing next to the row maximum's 1. */
    private static final float EXP2_MIN = -63f;

    private FlashAttentionScalar() {
    }

    /**
     * Forward pass.
     *
     * @param out (B,T,C) attention output, overwritten
     * @param lse (B,NH,T) log-sum-exp of each row's scaled scores, overwritten (kept for backward)
     * @param qkv (B,T,3C) queries, keys and values
     */
    static void forward(final float[] out, final int outOff, final float[] lse, final int lseOff,
                               final float[] qkv, final int qkvOff,
                               final int B, final int T, final int C, final int NH) {
        final int hs = headSize(C, NH);
        checkRange("qkv", qkv, qkvOff, (long)B * T * 3 * C);
        checkRange("out", out, outOff, (long)B * T * C);
        checkRange("lse", lse, lseOff, (long)B * NH * T);
        Parallel.shared().forRange(B * NH, (from, to) -> {
            final ForwardScratch scratch = new ForwardScratch(T, hs);
            for (int bh = from; bh < to; bh++) {
                forwardHead(scratch, out, outOff, lse, lseOff, qkv, qkvOff, bh / NH, bh % NH, T, C, NH);
            }
        });
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
    static void backward(final float[] dqkv, final int dqkvOff, final float[] dout, final int doutOff,
                                final float[] out, final int outOff, final float[] lse, final int lseOff,
                                final float[] qkv, final int qkvOff,
                                final int B, final int T, final int C, final int NH) {
        final int hs = headSize(C, NH);
        checkRange("qkv", qkv, qkvOff, (long)B * T * 3 * C);
        checkRange("dqkv", dqkv, dqkvOff, (long)B * T * 3 * C);
        checkRange("out", out, outOff, (long)B * T * C);
        checkRange("dout", dout, doutOff, (long)B * T * C);
        checkRange("lse", lse, lseOff, (long)B * NH * T);
        Parallel.shared().forRange(B * NH, (from, to) -> {
            final BackwardScratch scratch = new BackwardScratch(T, hs);
            for (int bh = from; bh < to; bh++) {
                backwardHead(scratch, dqkv, dqkvOff, dout, doutOff, out, outOff, lse, lseOff, qkv, qkvOff,
                    bh / NH, bh % NH, T, C, NH);
            }
        });
    }

    private static void forwardHead(final ForwardScratch sc, final float[] out, final int outOff,
                                    final float[] lse, final int lseOff, final float[] qkv, final int qkvOff,
                                    final int b, final int h, final int T, final int C, final int NH) {
        final int hs = C / NH;
        final int C3 = 3 * C;
        // q of token t of this head starts at headBase + t*C3; k at +C, v at +2C
        final int headBase = qkvOff + b * T * C3 + h * hs;
        final float[][] k = sc.k;
        final float[][] v = sc.v;
        for (int t = 0; t < T; t++) {
            System.arraycopy(qkv, headBase + t * C3 + C, k[t], 0, hs);
            System.arraycopy(qkv, headBase + t * C3 + 2 * C, v[t], 0, hs);
        }
        // scores are kept in log2 units, s = q·k·scale·log2(e), so that p = 2^(s − m)
        final float scoreScale = (float)(LOG2_E / Math.sqrt(hs));
        final float[][] qT = sc.qT;
        final float[][] oT = sc.oT;
        final float[][] sT = sc.sT;
        final float[] alpha = sc.alpha;
        final float[] rowSum = sc.rowSum;
        float[] rowMax = sc.rowMax;
        float[] newMax = sc.newMax;
        for (int i0 = 0; i0 < T; i0 += TILE_QUERIES) {
            final int rows = Math.min(TILE_QUERIES, T - i0);
            for (int r = 0; r < rows; r++) {
                final int src = headBase + (i0 + r) * C3;
                for (int d = 0; d < hs; d++) {
                    qT[d][r] = qkv[src + d] * scoreScale;
                }
            }
            Arrays.fill(rowMax, 0, rows, Float.NEGATIVE_INFINITY);
            Arrays.fill(rowSum, 0, rows, 0f);
            clear(oT, hs, 0, rows);
            // key tiles wholly above the causal diagonal (j0 >= i0 + rows) are never visited
            for (int j0 = 0; j0 < i0 + rows; j0 += TILE_KEYS) {
                final int keys = Math.min(TILE_KEYS, i0 + rows - j0);
                // tile row r may see tile key c iff r >= c + diagonal
                final int diagonal = j0 - i0;
                // rows before tileFirst see no key of this tile and are left alone
                final int tileFirst = firstRow(diagonal, rows);
                clear(sT, keys, tileFirst, rows);
                scoresTransposed(sT, keys, qT, hs, k, j0, rows, diagonal);
                // the element-wise steps run from tileFirst, not from each key's own first row:
                // long loops vectorise better. Entries above the diagonal are set to -inf for the
                // maximum and to 0 for the sums
                for (int c = 0; c < keys; c++) {
                    Arrays.fill(sT[c], tileFirst, firstRow(c + diagonal, rows), Float.NEGATIVE_INFINITY);
                }
                System.arraycopy(rowMax, 0, newMax, 0, rows);
                for (int c = 0; c < keys; c++) {
                    maxInto(newMax, sT[c], tileFirst, rows);
                }
                // alpha rescales what each row gathered under its previous maximum. On the first
                // tile rowMax = -inf yields 2^-63 times a zero sum; every row sees key 0, so no
                // maximum is -inf after it
                System.arraycopy(rowMax, 0, alpha, 0, rows);
                exp2Diff(alpha, newMax, tileFirst, rows);
                for (int c = 0; c < keys; c++) {
                    exp2Diff(sT[c], newMax, tileFirst, rows);
                    Arrays.fill(sT[c], tileFirst, firstRow(c + diagonal, rows), 0f);
                }
                multiplyInto(rowSum, alpha, tileFirst, rows);
                for (int c = 0; c < keys; c++) {
                    addInto(rowSum, sT[c], tileFirst, rows);
                }
                for (int d = 0; d < hs; d++) {
                    multiplyInto(oT[d], alpha, tileFirst, rows);
                }
                // oT[d][r] += Σ_c p[r][c] · v_(j0+c)[d]
                mixTransposed(oT, hs, sT, keys, v, j0, rows, diagonal);
                final float[] swap = rowMax;
                rowMax = newMax;
                newMax = swap;
            }
            for (int r = 0; r < rows; r++) {
                final float inv = 1f / rowSum[r];
                final int dst = outOff + (b * T + i0 + r) * C + h * hs;
                for (int d = 0; d < hs; d++) {
                    out[dst + d] = oT[d][r] * inv;
                }
                lse[lseOff + (b * NH + h) * T + i0 + r] = (float)(rowMax[r] * LN_2 + Math.log(rowSum[r]));
            }
        }
    }

    private static void backwardHead(final BackwardScratch sc, final float[] dqkv, final int dqkvOff,
                                     final float[] dout, final int doutOff, final float[] out, final int outOff,
                                     final float[] lse, final int lseOff, final float[] qkv, final int qkvOff,
                                     final int b, final int h, final int T, final int C, final int NH) {
        final int hs = C / NH;
        final int C3 = 3 * C;
        final int headBase = qkvOff + b * T * C3 + h * hs;
        final int gradBase = dqkvOff + b * T * C3 + h * hs;
        final int outBase = b * T * C + h * hs;
        final int lseBase = lseOff + (b * NH + h) * T;
        final float[][] k = sc.k;
        final float[][] v = sc.v;
        final float[][] dk = sc.dk;
        final float[][] dv = sc.dv;
        for (int t = 0; t < T; t++) {
            System.arraycopy(qkv, headBase + t * C3 + C, k[t], 0, hs);
            System.arraycopy(qkv, headBase + t * C3 + 2 * C, v[t], 0, hs);
            Arrays.fill(dk[t], 0f);
            Arrays.fill(dv[t], 0f);
        }
        final float scale = (float)(1.0 / Math.sqrt(hs));
        final float scoreScale = (float)(LOG2_E / Math.sqrt(hs));
        final float[][] q = sc.q;
        final float[][] qT = sc.qT;
        final float[][] dO = sc.dout;
        final float[][] dOT = sc.doutT;
        final float[][] dqT = sc.dqT;
        final float[][] pT = sc.pT;
        final float[][] dsT = sc.dsT;
        final float[] rowDot = sc.rowDot;
        final float[] rowLse = sc.rowLse;
        // query tiles outside, key tiles inside, as in the forward pass: dq of a query tile is
        // finished in scratch, while dk and dv gather over the query tiles in (T, hs) scratch
        for (int i0 = 0; i0 < T; i0 += TILE_QUERIES) {
            final int rows = Math.min(TILE_QUERIES, T - i0);
            for (int r = 0; r < rows; r++) {
                final int t = i0 + r;
                final float[] qRow = q[r];
                final float[] doRow = dO[r];
                System.arraycopy(qkv, headBase + t * C3, qRow, 0, hs);
                System.arraycopy(dout, doutOff + outBase + t * C, doRow, 0, hs);
                // D_t = dO_t · O_t = Σ_j P_tj dP_tj, what the softmax backward subtracts
                final int o = outOff + outBase + t * C;
                float dot = 0f;
                for (int d = 0; d < hs; d++) {
                    qT[d][r] = qRow[d] * scoreScale;
                    dOT[d][r] = doRow[d];
                    dot += doRow[d] * out[o + d];
                }
                rowDot[r] = dot;
                rowLse[r] = (float)(lse[lseBase + t] * LOG2_E);
            }
            clear(dqT, hs, 0, rows);
            for (int j0 = 0; j0 < i0 + rows; j0 += TILE_KEYS) {
                final int keys = Math.min(TILE_KEYS, i0 + rows - j0);
                final int diagonal = j0 - i0;
                // P recomputed from q, k and the saved lse: pT[c][r] = 2^(s_rc − lse_r·log2 e);
                // dP[r][c] = dO_r · v_c, then dS = P ∘ (dP − D) · scale in its place
                final int tileFirst = firstRow(diagonal, rows);
                clear(pT, keys, tileFirst, rows);
                clear(dsT, keys, tileFirst, rows);
                scoresTransposed(pT, keys, qT, hs, k, j0, rows, diagonal);
                scoresTransposed(dsT, keys, dOT, hs, v, j0, rows, diagonal);
                for (int c = 0; c < keys; c++) {
                    final int first = firstRow(c + diagonal, rows);
                    exp2Diff(pT[c], rowLse, tileFirst, rows);
                    softmaxBackward(dsT[c], pT[c], rowDot, scale, tileFirst, rows);
                    Arrays.fill(pT[c], tileFirst, first, 0f);
                    Arrays.fill(dsT[c], tileFirst, first, 0f);
                }
                // dv_j += Σ_r P[r][j] dO_r ; dk_j += Σ_r dS[r][j] q_r (dS carries the scale)
                for (int c = 0; c < keys; c++) {
                    final int first = firstRow(c + diagonal, rows);
                    alongHead(dv[j0 + c], pT[c], dO, first, rows, hs);
                    alongHead(dk[j0 + c], dsT[c], q, first, rows, hs);
                }
                // dqT[d][r] += Σ_c dS[r][c] · k_(j0+c)[d]
                mixTransposed(dqT, hs, dsT, keys, k, j0, rows, diagonal);
            }
            for (int r = 0; r < rows; r++) {
                final int dst = gradBase + (i0 + r) * C3;
                for (int d = 0; d < hs; d++) {
                    dqkv[dst + d] += dqT[d][r];
                }
            }
        }
        for (int t = 0; t < T; t++) {
            final int dst = gradBase + t * C3;
            final float[] dkRow = dk[t];
            final float[] dvRow = dv[t];
            for (int d = 0; d < hs; d++) {
                dqkv[dst + C + d] += dkRow[d];
                dqkv[dst + 2 * C + d] += dvRow[d];
            }
        }
    }

    /**
     * yT[c][r] += Σ_d rows[j0+c][d] · xT[d][r] for c in [0, keys) and the tile rows r in
     * [max(0, c + diagonal), rowCount) that may see key j0+c: scores (x = q) or dP (x = dO).
     */
    private static void scoresTransposed(final float[][] yT, final int keys, final float[][] xT, final int hs,
                                         final float[][] rows, final int j0, final int rowCount,
                                         final int diagonal) {
        final boolean cut = diagonal + keys - 1 > 0;
        for (int c = 0; c < keys; c++) {
            final int from = firstRow(c + diagonal, rowCount);
            final float[] y = yT[c];
            final float[] coef = rows[j0 + c];
            int d = 0;
            for (; d + 4 <= hs; d += 4) {
                if (cut) {
                    axpy4Cut(y, coef[d], coef[d + 1], coef[d + 2], coef[d + 3],
                        xT[d], xT[d + 1], xT[d + 2], xT[d + 3], from, rowCount);
                } else {
                    axpy4(y, coef[d], coef[d + 1], coef[d + 2], coef[d + 3],
                        xT[d], xT[d + 1], xT[d + 2], xT[d + 3], from, rowCount);
                }
            }
            for (; d < hs; d++) {
                axpy1(y, coef[d], xT[d], from, rowCount);
            }
        }
    }

    /**
     * yT[d][r] += Σ_c rows[j0+c][d] · wT[c][r] for d in [0, hs): P·V (w = P, rows = v) or dS·K.
     * Key c contributes from tile row max(0, c + diagonal); wT must be zero above the diagonal,
     * as four keys share the start of the first.
     */
    private static void mixTransposed(final float[][] yT, final int hs, final float[][] wT, final int keys,
                                      final float[][] rows, final int j0, final int rowCount, final int diagonal) {
        final boolean cut = diagonal + keys - 1 > 0;
        for (int d = 0; d < hs; d++) {
            final float[] y = yT[d];
            int c = 0;
            for (; c + 4 <= keys; c += 4) {
                final int from = firstRow(c + diagonal, rowCount);
                if (cut) {
                    axpy4Cut(y, rows[j0 + c][d], rows[j0 + c + 1][d], rows[j0 + c + 2][d], rows[j0 + c + 3][d],
                        wT[c], wT[c + 1], wT[c + 2], wT[c + 3], from, rowCount);
                } else {
                    axpy4(y, rows[j0 + c][d], rows[j0 + c + 1][d], rows[j0 + c + 2][d], rows[j0 + c + 3][d],
                        wT[c], wT[c + 1], wT[c + 2], wT[c + 3], from, rowCount);
                }
            }
            for (; c < keys; c++) {
                axpy1(y, rows[j0 + c][d], wT[c], firstRow(c + diagonal, rowCount), rowCount);
            }
        }
    }

    /** y[d] += Σ_r w[r] · x[r][d] over r in [from, to), d in [0, hs): dv or dk of one key. */
    private static void alongHead(final float[] y, final float[] w, final float[][] x, final int from, final int to,
                                  final int hs) {
        int r = from;
        for (; r + 4 <= to; r += 4) {
            axpy4AlongHead(y, w[r], w[r + 1], w[r + 2], w[r + 3], x[r], x[r + 1], x[r + 2], x[r + 3], hs);
        }
        for (; r < to; r++) {
            axpy1(y, w[r], x[r], 0, hs);
        }
    }

    /** y += a0·x0 + a1·x1 + a2·x2 + a3·x3 over [from, to), for tiles off the diagonal. */
    private static void axpy4(final float[] y, final float a0, final float a1, final float a2, final float a3,
                              final float[] x0, final float[] x1, final float[] x2, final float[] x3,
                              final int from, final int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.fma(a3, x3[i], Math.fma(a2, x2[i], Math.fma(a1, x1[i], Math.fma(a0, x0[i], y[i]))));
        }
    }

    /** {@link #axpy4} for the diagonal tiles, whose ranges are cut short (see the class comment). */
    private static void axpy4Cut(final float[] y, final float a0, final float a1, final float a2, final float a3,
                                 final float[] x0, final float[] x1, final float[] x2, final float[] x3,
                                 final int from, final int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.fma(a3, x3[i], Math.fma(a2, x2[i], Math.fma(a1, x1[i], Math.fma(a0, x0[i], y[i]))));
        }
    }

    /** {@link #axpy4} over [0, hs), the head dimension (see the class comment). */
    private static void axpy4AlongHead(final float[] y, final float a0, final float a1, final float a2,
                                       final float a3, final float[] x0, final float[] x1, final float[] x2,
                                       final float[] x3, final int hs) {
        for (int i = 0; i < hs; i++) {
            y[i] = Math.fma(a3, x3[i], Math.fma(a2, x2[i], Math.fma(a1, x1[i], Math.fma(a0, x0[i], y[i]))));
        }
    }

    private static void axpy1(final float[] y, final float a, final float[] x, final int from, final int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.fma(a, x[i], y[i]);
        }
    }

    private static void maxInto(final float[] y, final float[] x, final int from, final int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.max(y[i], x[i]);
        }
    }

    private static void addInto(final float[] y, final float[] x, final int from, final int to) {
        for (int i = from; i < to; i++) {
            y[i] += x[i];
        }
    }

    private static void multiplyInto(final float[] y, final float[] x, final int from, final int to) {
        for (int i = from; i < to; i++) {
            y[i] *= x[i];
        }
    }

    /** dP becomes dS = P ∘ (dP − D) · scale, in place. */
    private static void softmaxBackward(final float[] dp, final float[] p, final float[] rowDot, final float scale,
                                        final int from, final int to) {
        for (int i = from; i < to; i++) {
            dp[i] = p[i] * (dp[i] - rowDot[i]) * scale;
        }
    }

    /**
     * x[i] = 2^(x[i] − shift[i]) for i in [from, to), for differences ≤ 0 (clamped below at −63),
     * to 2e-7 relative. 2^t = 2^n·2^r with n = round(t) and r in [−½, ½]: 2^r is a degree-6
     * polynomial; 2^n is built without integer bit moves (which C2 does not vectorise): a rough
     * 2^(n/64) raised to the 64th power by six squarings lands within 1% of 2^n, and adding then
     * subtracting 1.5·2^23 times it rounds it to the exact power of two.
     */
    static void exp2Diff(final float[] x, final float[] shift, final int from, final int to) {
        for (int i = from; i < to; i++) {
            final float t = Math.max(x[i] - shift[i], EXP2_MIN);
            final float n = (t + ROUND_MAGIC) - ROUND_MAGIC;
            final float r = t - n;
            float frac = 1.5353362e-4f;
            frac = Math.fma(frac, r, 1.3398874e-3f);
            frac = Math.fma(frac, r, 9.6181291e-3f);
            frac = Math.fma(frac, r, 5.5504109e-2f);
            frac = Math.fma(frac, r, 2.4022651e-1f);
            frac = Math.fma(frac, r, 6.9314718e-1f);
            frac = Math.fma(frac, r, 1f);
            final float w = n * 0.015625f;
            float g = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(1.3333558e-3f, w, 9.6181291e-3f), w,
                5.5504109e-2f), w, 2.4022651e-1f), w, 6.9314718e-1f), w, 1f);
            g *= g;
            g *= g;
            g *= g;
            g *= g;
            g *= g;
            g *= g;
            final float snap = g * ROUND_MAGIC;
            x[i] = frac * ((g + snap) - snap);
        }
    }

    private static void clear(final float[][] rows, final int count, final int from, final int to) {
        for (int i = 0; i < count; i++) {
            Arrays.fill(rows[i], from, to, 0f);
        }
    }

    /** The first tile row that may see a key, given (key index − first query index of the tile). */
    private static int firstRow(final int diagonal, final int rows) {
        return Math.min(Math.max(diagonal, 0), rows);
    }

    static int headSize(final int C, final int NH) {
        if (NH <= 0 || C <= 0 || C % NH != 0) {
            throw new IllegalArgumentException("C=" + C + " is not a positive multiple of NH=" + NH);
        }
        return C / NH;
    }

    static void checkRange(final String name, final float[] array, final int offset, final long length) {
        if (offset < 0 || offset + length > array.length) {
            throw new IllegalArgumentException(name + ": offset=" + offset + " + length=" + length
                + " > array length=" + array.length);
        }
    }

    /** Per-thread scratch of the forward pass: one head's keys and values, one query tile's state. */
    private static final class ForwardScratch {
        /** (T, hs) keys and values of the current head. */
        final float[][] k;
        final float[][] v;
        /** (hs, TILE_QUERIES) the query tile, transposed and scaled; the output accumulator. */
        final float[][] qT;
        final float[][] oT;
        /** (TILE_KEYS, TILE_QUERIES) scores, then probabilities, of one tile pair. */
        final float[][] sT = new float[TILE_KEYS][TILE_QUERIES];
        final float[] rowMax = new float[TILE_QUERIES];
        final float[] newMax = new float[TILE_QUERIES];
        final float[] rowSum = new float[TILE_QUERIES];
        final float[] alpha = new float[TILE_QUERIES];

        ForwardScratch(final int T, final int hs) {
            k = new float[T][hs];
            v = new float[T][hs];
            qT = new float[hs][TILE_QUERIES];
            oT = new float[hs][TILE_QUERIES];
        }
    }

    /** Per-thread scratch of the backward pass: one head's k, v, dk, dv, one query tile's state. */
    private static final class BackwardScratch {
        /** (T, hs) keys, values and their gradients for the current head. */
        final float[][] k;
        final float[][] v;
        final float[][] dk;
        final float[][] dv;
        /** (TILE_QUERIES, hs) the query tile's q (unscaled) and dO rows. */
        final float[][] q;
        final float[][] dout;
        /** (hs, TILE_QUERIES) transposed: q scaled to log2 units, dO, and the dq accumulator. */
        final float[][] qT;
        final float[][] doutT;
        final float[][] dqT;
        /** (TILE_KEYS, TILE_QUERIES) P, and dP then dS, of one tile pair. */
        final float[][] pT = new float[TILE_KEYS][TILE_QUERIES];
        final float[][] dsT = new float[TILE_KEYS][TILE_QUERIES];
        final float[] rowDot = new float[TILE_QUERIES];
        final float[] rowLse = new float[TILE_QUERIES];

        BackwardScratch(final int T, final int hs) {
            k = new float[T][hs];
            v = new float[T][hs];
            dk = new float[T][hs];
            dv = new float[T][hs];
            q = new float[TILE_QUERIES][hs];
            dout = new float[TILE_QUERIES][hs];
            qT = new float[hs][TILE_QUERIES];
            doutT = new float[hs][TILE_QUERIES];
            dqT = new float[hs][TILE_QUERIES];
        }
    }
}
