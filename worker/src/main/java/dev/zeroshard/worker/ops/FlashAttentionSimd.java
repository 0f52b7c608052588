package dev.zeroshard.worker.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;

import static dev.zeroshard.worker.ops.SimdMath.F;
import static dev.zeroshard.worker.ops.SimdMath.LANES;

/**
 * {@link FlashAttention} on the Vector API. Every tile product is a small row-major GEMM run by one
 * of two register-blocked micro-kernels (8 rows × 2 vectors of accumulators, the inner dimension
 * streamed): {@link #multiply} for C (+)= A·B and {@link #multiplyTransposed} for C += Aᵀ·B. A
 * tile of {@link #TILE_QUERIES} queries meets tiles of up to {@link #TILE_KEYS} keys; with GPT-2's
 * T ≤ 1024 that is one to four key tiles per query tile.
 *
 * <p>Scratch is padded so that the kernels never need a tail: key counts to a multiple of
 * {@link #TILE_QUERIES} (keys past T are zero and masked by causality), head widths to a multiple of
 * {@link #BLOCK} (zero columns), query rows past T are zero and never written out. Masked entries are
 * set to exactly zero after the exponential. Sums across lanes are added in lane order (never
 * {@code reduceLanes(ADD)}, whose order the API leaves open), so results are reproducible.
 *
 * <p>Load only if {@link Simd#ENABLED}.
 */
final class FlashAttentionSimd {
    /** Columns per micro-tile: two vectors. */
    static final int BLOCK = 2 * LANES;
    /** Query rows per tile: a multiple of the micro-kernel's 8 rows and of {@link #BLOCK}. */
    static final int TILE_QUERIES = Math.max(32, BLOCK);
    /** Keys per tile: a (TILE_QUERIES, TILE_KEYS) score tile is 32 KiB, at home in L1/L2. */
    static final int TILE_KEYS = 8 * TILE_QUERIES;

    private static final double LOG2_E = 1.4426950408889634;
    private static final double LN_2 = 0.6931471805599453;

    private FlashAttentionSimd() {
    }

    static void forward(final float[] out, final int outOff, final float[] lse, final int lseOff,
                        final float[] qkv, final int qkvOff, final int B, final int T, final int C, final int NH) {
        Parallel.shared().forRange(B * NH, (from, to) -> {
            final Scratch sc = new Scratch(T, C / NH, false);
            for (int bh = from; bh < to; bh++) {
                forwardHead(sc, out, outOff, lse, lseOff, qkv, qkvOff, bh / NH, bh % NH, T, C, NH);
            }
        });
    }

    static void backward(final float[] dqkv, final int dqkvOff, final float[] dout, final int doutOff,
                         final float[] out, final int outOff, final float[] lse, final int lseOff,
                         final float[] qkv, final int qkvOff, final int B, final int T, final int C, final int NH,
                         final boolean accumulate) {
        Parallel.shared().forRange(B * NH, (from, to) -> {
            final Scratch sc = new Scratch(T, C / NH, true);
            for (int bh = from; bh < to; bh++) {
                backwardHead(sc, dqkv, dqkvOff, dout, doutOff, out, outOff, lse, lseOff, qkv, qkvOff, bh / NH,
                    bh % NH, T, C, NH, accumulate);
            }
        });
    }

    private static void forwardHead(final Scratch sc, final float[] out, final int outOff, final float[] lse,
                                    final int lseOff, final float[] qkv, final int qkvOff, final int b, final int h,
                                    final int T, final int C, final int NH) {
        final int hs = sc.hs;
        final int hsPad = sc.hsPad;
        final int tPad = sc.tPad;
        final int C3 = 3 * C;
        // q of token t of this head starts at headBase + t*C3; k at +C, v at +2C
        final int headBase = qkvOff + b * T * C3 + h * hs;
        // kT (hs, tPad) transposed keys; v (tPad, hsPad); padding stays zero
        final float[] kT = sc.kT;
        final float[] v = sc.v;
        for (int t = 0; t < T; t++) {
            final int src = headBase + t * C3;
            for (int d = 0; d < hs; d++) {
                kT[d * tPad + t] = qkv[src + C + d];
            }
            System.arraycopy(qkv, src + 2 * C, v, t * hsPad, hs);
        }
        // scores are kept in log2 units, s = q·k·scale·log2(e), so that p = 2^(s − m)
        final float scoreScale = (float)(LOG2_E / Math.sqrt(hs));
        final float[] q = sc.q;
        final float[] s = sc.s;
        final float[] o = sc.o;
        final float[] rowMax = sc.rowMax;
        final float[] rowSum = sc.rowSum;
        for (int i0 = 0; i0 < T; i0 += TILE_QUERIES) {
            final int rows = Math.min(TILE_QUERIES, T - i0);
            for (int r = 0; r < rows; r++) {
                final int src = headBase + (i0 + r) * C3;
                for (int d = 0; d < hs; d++) {
                    q[r * hs + d] = qkv[src + d] * scoreScale;
                }
            }
            Arrays.fill(q, rows * hs, TILE_QUERIES * hs, 0f);
            Arrays.fill(rowMax, Float.NEGATIVE_INFINITY);
            Arrays.fill(rowSum, 0f);
            Arrays.fill(o, 0f);
            final int keyEnd = i0 + TILE_QUERIES;
            for (int j0 = 0; j0 < keyEnd; j0 += TILE_KEYS) {
                final int keys = Math.min(TILE_KEYS, keyEnd - j0);
                // s (TILE_QUERIES, keys) = q · kT[:, j0:j0+keys]
                multiply(s, 0, TILE_KEYS, q, 0, hs, kT, j0, tPad, TILE_QUERIES, keys, hs, false);
                for (int r = 0; r < TILE_QUERIES; r++) {
                    // row r sees keys [j0, i0 + r]: at least one, as j0 <= i0 (both multiples of TILE_QUERIES)
                    final int visible = Math.min(keys, i0 + r + 1 - j0);
                    final int row = r * TILE_KEYS;
                    // vectors before `last` are all visible; lanes of `last` past `visible` are masked;
                    // vectors after it are masked whole and only zeroed
                    final int last = (visible - 1) / LANES * LANES;
                    final VectorMask<Float> lastVisible = F.indexInRange(last, visible);
                    FloatVector max = FloatVector.broadcast(F, rowMax[r]);
                    for (int c = 0; c < last; c += LANES) {
                        max = max.max(FloatVector.fromArray(F, s, row + c));
                    }
                    max = max.max(FloatVector.fromArray(F, s, row + last).blend(Float.NEGATIVE_INFINITY,
                        lastVisible.not()));
                    final float newMax = max.reduceLanes(VectorOperators.MAX);
                    // rescales what the row gathered under its previous maximum (2^-126 times a zero sum
                    // on the first tile)
                    final float alpha = Simd.exp2(rowMax[r] - newMax);
                    final FloatVector shift = FloatVector.broadcast(F, newMax);
                    FloatVector sum = FloatVector.zero(F);
                    for (int c = 0; c < last; c += LANES) {
                        final FloatVector e = SimdMath.exp2(FloatVector.fromArray(F, s, row + c).sub(shift));
                        e.intoArray(s, row + c);
                        sum = sum.add(e);
                    }
                    final FloatVector e = SimdMath.exp2(FloatVector.fromArray(F, s, row + last).sub(shift))
                        .blend(0f, lastVisible.not());
                    e.intoArray(s, row + last);
                    sum = sum.add(e);
                    zero(s, row + last + LANES, row + keys);
                    rowSum[r] = rowSum[r] * alpha + SimdMath.sumLanes(sum, sc.lanes);
                    rowMax[r] = newMax;
                    if (alpha != 1f) {
                        for (int d = 0; d < hsPad; d += LANES) {
                            FloatVector.fromArray(F, o, r * hsPad + d).mul(alpha).intoArray(o, r * hsPad + d);
                        }
                    }
                }
                // o (TILE_QUERIES, hsPad) += p (TILE_QUERIES, keys) · v[j0:j0+keys, :]
                multiply(o, 0, hsPad, s, 0, TILE_KEYS, v, j0 * hsPad, hsPad, TILE_QUERIES, hsPad, keys, true);
            }
            for (int r = 0; r < rows; r++) {
                final float inv = 1f / rowSum[r];
                final int dst = outOff + (b * T + i0 + r) * C + h * hs;
                for (int d = 0; d < hs; d++) {
                    out[dst + d] = o[r * hsPad + d] * inv;
                }
                lse[lseOff + (b * NH + h) * T + i0 + r] = (float)(rowMax[r] * LN_2 + Math.log(rowSum[r]));
            }
        }
    }

    private static void backwardHead(final Scratch sc, final float[] dqkv, final int dqkvOff, final float[] dout,
                                     final int doutOff, final float[] out, final int outOff, final float[] lse,
                                     final int lseOff, final float[] qkv, final int qkvOff, final int b, final int h,
                                     final int T, final int C, final int NH, final boolean accumulate) {
        final int hs = sc.hs;
        final int hsPad = sc.hsPad;
        final int tPad = sc.tPad;
        final int C3 = 3 * C;
        final int headBase = qkvOff + b * T * C3 + h * hs;
        final int gradBase = dqkvOff + b * T * C3 + h * hs;
        final int outBase = b * T * C + h * hs;
        final int lseBase = lseOff + (b * NH + h) * T;
        // k (tPad, hsPad), kT and vT (hs, tPad); dk and dv (tPad, hsPad) gather over the query tiles
        final float[] k = sc.k;
        final float[] kT = sc.kT;
        final float[] vT = sc.vT;
        final float[] dk = sc.dk;
        final float[] dv = sc.dv;
        for (int t = 0; t < T; t++) {
            final int src = headBase + t * C3;
            System.arraycopy(qkv, src + C, k, t * hsPad, hs);
            for (int d = 0; d < hs; d++) {
                kT[d * tPad + t] = qkv[src + C + d];
                vT[d * tPad + t] = qkv[src + 2 * C + d];
            }
        }
        Arrays.fill(dk, 0f);
        Arrays.fill(dv, 0f);
        final float scale = (float)(1.0 / Math.sqrt(hs));
        final float scoreScale = (float)(LOG2_E / Math.sqrt(hs));
        final float[] q = sc.q;
        final float[] qs = sc.qs;
        final float[] dO = sc.dout;
        final float[] p = sc.s;
        final float[] ds = sc.ds;
        final float[] dq = sc.o;
        final float[] rowDot = sc.rowSum;
        final float[] rowLse = sc.rowMax;
        for (int i0 = 0; i0 < T; i0 += TILE_QUERIES) {
            final int rows = Math.min(TILE_QUERIES, T - i0);
            for (int r = 0; r < rows; r++) {
                final int t = i0 + r;
                System.arraycopy(qkv, headBase + t * C3, q, r * hsPad, hs);
                System.arraycopy(dout, doutOff + outBase + t * C, dO, r * hsPad, hs);
                // D_t = dO_t · O_t = Σ_j P_tj dP_tj, what the softmax backward subtracts
                final int o = outOff + outBase + t * C;
                float dot = 0f;
                for (int d = 0; d < hs; d++) {
                    qs[r * hs + d] = q[r * hsPad + d] * scoreScale;
                    dot += dO[r * hsPad + d] * out[o + d];
                }
                rowDot[r] = dot;
                rowLse[r] = (float)(lse[lseBase + t] * LOG2_E);
            }
            // rows past T: zero q and dO make their P harmless (P·0) and their dS zero
            Arrays.fill(q, rows * hsPad, TILE_QUERIES * hsPad, 0f);
            Arrays.fill(qs, rows * hs, TILE_QUERIES * hs, 0f);
            Arrays.fill(dO, rows * hsPad, TILE_QUERIES * hsPad, 0f);
            Arrays.fill(rowDot, rows, TILE_QUERIES, 0f);
            Arrays.fill(rowLse, rows, TILE_QUERIES, 0f);
            Arrays.fill(dq, 0f);
            final int keyEnd = i0 + TILE_QUERIES;
            for (int j0 = 0; j0 < keyEnd; j0 += TILE_KEYS) {
                final int keys = Math.min(TILE_KEYS, keyEnd - j0);
                // P recomputed from q, k and the saved lse: p[r][c] = 2^(s_rc − lse_r·log2 e);
                // dP[r][c] = dO_r · v_c, then dS = P ∘ (dP − D) · scale in its place
                multiply(p, 0, TILE_KEYS, qs, 0, hs, kT, j0, tPad, TILE_QUERIES, keys, hs, false);
                multiply(ds, 0, TILE_KEYS, dO, 0, hsPad, vT, j0, tPad, TILE_QUERIES, keys, hs, false);
                for (int r = 0; r < TILE_QUERIES; r++) {
                    final int visible = Math.min(keys, i0 + r + 1 - j0);
                    final int row = r * TILE_KEYS;
                    final FloatVector shift = FloatVector.broadcast(F, rowLse[r]);
                    final FloatVector dot = FloatVector.broadcast(F, rowDot[r]);
                    // as in forward: whole visible vectors, then the partly visible `last`, then zeros
                    final int last = (visible - 1) / LANES * LANES;
                    for (int c = 0; c < last; c += LANES) {
                        final FloatVector pv = SimdMath.exp2(FloatVector.fromArray(F, p, row + c).sub(shift));
                        pv.intoArray(p, row + c);
                        pv.mul(FloatVector.fromArray(F, ds, row + c).sub(dot)).mul(scale).intoArray(ds, row + c);
                    }
                    final VectorMask<Float> masked = F.indexInRange(last, visible).not();
                    final FloatVector pv = SimdMath.exp2(FloatVector.fromArray(F, p, row + last).sub(shift))
                        .blend(0f, masked);
                    pv.intoArray(p, row + last);
                    pv.mul(FloatVector.fromArray(F, ds, row + last).sub(dot)).mul(scale).blend(0f, masked)
                        .intoArray(ds, row + last);
                    zero(p, row + last + LANES, row + keys);
                    zero(ds, row + last + LANES, row + keys);
                }
                // dv_j += Σ_r P[r][j] dO_r ; dk_j += Σ_r dS[r][j] q_r (dS carries the scale);
                // dq_r += Σ_j dS[r][j] k_j
                multiplyTransposed(dv, j0 * hsPad, hsPad, p, 0, TILE_KEYS, dO, 0, hsPad, keys, hsPad, TILE_QUERIES);
                multiplyTransposed(dk, j0 * hsPad, hsPad, ds, 0, TILE_KEYS, q, 0, hsPad, keys, hsPad, TILE_QUERIES);
                multiply(dq, 0, hsPad, ds, 0, TILE_KEYS, k, j0 * hsPad, hsPad, TILE_QUERIES, hsPad, keys, true);
            }
            for (int r = 0; r < rows; r++) {
                store(dqkv, gradBase + (i0 + r) * C3, dq, r * hsPad, hs, accumulate);
            }
        }
        for (int t = 0; t < T; t++) {
            final int dst = gradBase + t * C3;
            store(dqkv, dst + C, dk, t * hsPad, hs, accumulate);
            store(dqkv, dst + 2 * C, dv, t * hsPad, hs, accumulate);
        }
    }

    /** x[from, to) = 0, with whole vectors ({@code to - from} is a multiple of LANES). */
    private static void zero(final float[] x, final int from, final int to) {
        final FloatVector zero = FloatVector.zero(F);
        for (int c = from; c < to; c += LANES) {
            zero.intoArray(x, c);
        }
    }

    /** dst[dstOff, +n) = src[srcOff, +n), or += when {@code accumulate}. */
    private static void store(final float[] dst, final int dstOff, final float[] src, final int srcOff, final int n,
                              final boolean accumulate) {
        if (accumulate) {
            for (int d = 0; d < n; d++) {
                dst[dstOff + d] += src[srcOff + d];
            }
        } else {
            System.arraycopy(src, srcOff, dst, dstOff, n);
        }
    }

    /**
     * C (m,n) = A (m,k) · B (k,n), or C += A·B when {@code accumulate}; row-major with leading
     * dimensions; m a multiple of 8 and n of {@link #BLOCK}. An 8×BLOCK tile of C stays in sixteen
     * vector registers while k streams: per step two vector loads of B, eight broadcasts of A, sixteen
     * FMAs (enough independent accumulators to cover the FMA latency on two pipes).
     */
    static void multiply(final float[] c, final int cOff, final int ldc, final float[] a, final int aOff,
                         final int lda, final float[] b, final int bOff, final int ldb, final int m, final int n,
                         final int k, final boolean accumulate) {
        for (int i = 0; i < m; i += 8) {
            final int a0 = aOff + i * lda;
            final int a1 = a0 + lda;
            final int a2 = a1 + lda;
            final int a3 = a2 + lda;
            final int a4 = a3 + lda;
            final int a5 = a4 + lda;
            final int a6 = a5 + lda;
            final int a7 = a6 + lda;
            for (int j = 0; j < n; j += BLOCK) {
                final int c0 = cOff + i * ldc + j;
                final int c1 = c0 + ldc;
                final int c2 = c1 + ldc;
                final int c3 = c2 + ldc;
                final int c4 = c3 + ldc;
                final int c5 = c4 + ldc;
                final int c6 = c5 + ldc;
                final int c7 = c6 + ldc;
                FloatVector x00 = accumulate ? FloatVector.fromArray(F, c, c0) : FloatVector.zero(F);
                FloatVector x01 = accumulate ? FloatVector.fromArray(F, c, c0 + LANES) : FloatVector.zero(F);
                FloatVector x10 = accumulate ? FloatVector.fromArray(F, c, c1) : FloatVector.zero(F);
                FloatVector x11 = accumulate ? FloatVector.fromArray(F, c, c1 + LANES) : FloatVector.zero(F);
                FloatVector x20 = accumulate ? FloatVector.fromArray(F, c, c2) : FloatVector.zero(F);
                FloatVector x21 = accumulate ? FloatVector.fromArray(F, c, c2 + LANES) : FloatVector.zero(F);
                FloatVector x30 = accumulate ? FloatVector.fromArray(F, c, c3) : FloatVector.zero(F);
                FloatVector x31 = accumulate ? FloatVector.fromArray(F, c, c3 + LANES) : FloatVector.zero(F);
                FloatVector x40 = accumulate ? FloatVector.fromArray(F, c, c4) : FloatVector.zero(F);
                FloatVector x41 = accumulate ? FloatVector.fromArray(F, c, c4 + LANES) : FloatVector.zero(F);
                FloatVector x50 = accumulate ? FloatVector.fromArray(F, c, c5) : FloatVector.zero(F);
                FloatVector x51 = accumulate ? FloatVector.fromArray(F, c, c5 + LANES) : FloatVector.zero(F);
                FloatVector x60 = accumulate ? FloatVector.fromArray(F, c, c6) : FloatVector.zero(F);
                FloatVector x61 = accumulate ? FloatVector.fromArray(F, c, c6 + LANES) : FloatVector.zero(F);
                FloatVector x70 = accumulate ? FloatVector.fromArray(F, c, c7) : FloatVector.zero(F);
                FloatVector x71 = accumulate ? FloatVector.fromArray(F, c, c7 + LANES) : FloatVector.zero(F);
                int bp = bOff + j;
                for (int p = 0; p < k; p++, bp += ldb) {
                    final FloatVector b0 = FloatVector.fromArray(F, b, bp);
                    final FloatVector b1 = FloatVector.fromArray(F, b, bp + LANES);
                    final FloatVector y0 = FloatVector.broadcast(F, a[a0 + p]);
                    x00 = b0.fma(y0, x00);
                    x01 = b1.fma(y0, x01);
                    final FloatVector y1 = FloatVector.broadcast(F, a[a1 + p]);
                    x10 = b0.fma(y1, x10);
                    x11 = b1.fma(y1, x11);
                    final FloatVector y2 = FloatVector.broadcast(F, a[a2 + p]);
                    x20 = b0.fma(y2, x20);
                    x21 = b1.fma(y2, x21);
                    final FloatVector y3 = FloatVector.broadcast(F, a[a3 + p]);
                    x30 = b0.fma(y3, x30);
                    x31 = b1.fma(y3, x31);
                    final FloatVector y4 = FloatVector.broadcast(F, a[a4 + p]);
                    x40 = b0.fma(y4, x40);
                    x41 = b1.fma(y4, x41);
                    final FloatVector y5 = FloatVector.broadcast(F, a[a5 + p]);
                    x50 = b0.fma(y5, x50);
                    x51 = b1.fma(y5, x51);
                    final FloatVector y6 = FloatVector.broadcast(F, a[a6 + p]);
                    x60 = b0.fma(y6, x60);
                    x61 = b1.fma(y6, x61);
                    final FloatVector y7 = FloatVector.broadcast(F, a[a7 + p]);
                    x70 = b0.fma(y7, x70);
                    x71 = b1.fma(y7, x71);
                }
                x00.intoArray(c, c0);
                x01.intoArray(c, c0 + LANES);
                x10.intoArray(c, c1);
                x11.intoArray(c, c1 + LANES);
                x20.intoArray(c, c2);
                x21.intoArray(c, c2 + LANES);
                x30.intoArray(c, c3);
                x31.intoArray(c, c3 + LANES);
                x40.intoArray(c, c4);
                x41.intoArray(c, c4 + LANES);
                x50.intoArray(c, c5);
                x51.intoArray(c, c5 + LANES);
                x60.intoArray(c, c6);
                x61.intoArray(c, c6 + LANES);
                x70.intoArray(c, c7);
                x71.intoArray(c, c7 + LANES);
            }
        }
    }

    /**
     * C (m,n) += Aᵀ · B with A stored (k,m) and B (k,n), row-major with leading dimensions; m a
     * multiple of 8 and n of {@link #BLOCK}. The micro-kernel of {@link #multiply}, with the eight
     * broadcasts taken along a row of A.
     */
    static void multiplyTransposed(final float[] c, final int cOff, final int ldc, final float[] a, final int aOff,
                                   final int lda, final float[] b, final int bOff, final int ldb, final int m,
                                   final int n, final int k) {
        for (int i = 0; i < m; i += 8) {
            for (int j = 0; j < n; j += BLOCK) {
                final int c0 = cOff + i * ldc + j;
                final int c1 = c0 + ldc;
                final int c2 = c1 + ldc;
                final int c3 = c2 + ldc;
                final int c4 = c3 + ldc;
                final int c5 = c4 + ldc;
                final int c6 = c5 + ldc;
                final int c7 = c6 + ldc;
                FloatVector x00 = FloatVector.fromArray(F, c, c0);
                FloatVector x01 = FloatVector.fromArray(F, c, c0 + LANES);
                FloatVector x10 = FloatVector.fromArray(F, c, c1);
                FloatVector x11 = FloatVector.fromArray(F, c, c1 + LANES);
                FloatVector x20 = FloatVector.fromArray(F, c, c2);
                FloatVector x21 = FloatVector.fromArray(F, c, c2 + LANES);
                FloatVector x30 = FloatVector.fromArray(F, c, c3);
                FloatVector x31 = FloatVector.fromArray(F, c, c3 + LANES);
                FloatVector x40 = FloatVector.fromArray(F, c, c4);
                FloatVector x41 = FloatVector.fromArray(F, c, c4 + LANES);
                FloatVector x50 = FloatVector.fromArray(F, c, c5);
                FloatVector x51 = FloatVector.fromArray(F, c, c5 + LANES);
                FloatVector x60 = FloatVector.fromArray(F, c, c6);
                FloatVector x61 = FloatVector.fromArray(F, c, c6 + LANES);
                FloatVector x70 = FloatVector.fromArray(F, c, c7);
                FloatVector x71 = FloatVector.fromArray(F, c, c7 + LANES);
                int ap = aOff + i;
                int bp = bOff + j;
                for (int p = 0; p < k; p++, ap += lda, bp += ldb) {
                    final FloatVector b0 = FloatVector.fromArray(F, b, bp);
                    final FloatVector b1 = FloatVector.fromArray(F, b, bp + LANES);
                    final FloatVector y0 = FloatVector.broadcast(F, a[ap]);
                    x00 = b0.fma(y0, x00);
                    x01 = b1.fma(y0, x01);
                    final FloatVector y1 = FloatVector.broadcast(F, a[ap + 1]);
                    x10 = b0.fma(y1, x10);
                    x11 = b1.fma(y1, x11);
                    final FloatVector y2 = FloatVector.broadcast(F, a[ap + 2]);
                    x20 = b0.fma(y2, x20);
                    x21 = b1.fma(y2, x21);
                    final FloatVector y3 = FloatVector.broadcast(F, a[ap + 3]);
                    x30 = b0.fma(y3, x30);
                    x31 = b1.fma(y3, x31);
                    final FloatVector y4 = FloatVector.broadcast(F, a[ap + 4]);
                    x40 = b0.fma(y4, x40);
                    x41 = b1.fma(y4, x41);
                    final FloatVector y5 = FloatVector.broadcast(F, a[ap + 5]);
                    x50 = b0.fma(y5, x50);
                    x51 = b1.fma(y5, x51);
                    final FloatVector y6 = FloatVector.broadcast(F, a[ap + 6]);
                    x60 = b0.fma(y6, x60);
                    x61 = b1.fma(y6, x61);
                    final FloatVector y7 = FloatVector.broadcast(F, a[ap + 7]);
                    x70 = b0.fma(y7, x70);
                    x71 = b1.fma(y7, x71);
                }
                x00.intoArray(c, c0);
                x01.intoArray(c, c0 + LANES);
                x10.intoArray(c, c1);
                x11.intoArray(c, c1 + LANES);
                x20.intoArray(c, c2);
                x21.intoArray(c, c2 + LANES);
                x30.intoArray(c, c3);
                x31.intoArray(c, c3 + LANES);
                x40.intoArray(c, c4);
                x41.intoArray(c, c4 + LANES);
                x50.intoArray(c, c5);
                x51.intoArray(c, c5 + LANES);
                x60.intoArray(c, c6);
                x61.intoArray(c, c6 + LANES);
                x70.intoArray(c, c7);
                x71.intoArray(c, c7 + LANES);
            }
        }
    }

    /** Per-thread scratch: one head's keys and values, one query tile's state (all zero-padded). */
    private static final class Scratch {
        final int hs;
        final int hsPad;
        final int tPad;
        /** (hs, tPad) transposed keys. */
        final float[] kT;
        /** Forward: (tPad, hsPad) values. Backward: null. */
        final float[] v;
        /** Backward: (tPad, hsPad) keys; (hs, tPad) transposed values; (tPad, hsPad) dk and dv. */
        final float[] k;
        final float[] vT;
        final float[] dk;
        final float[] dv;
        /** (TILE_QUERIES, hs) scaled queries (the forward's q, the backward's qs). */
        final float[] qs;
        /** Backward: (TILE_QUERIES, hsPad) unscaled queries and dO rows. */
        final float[] q;
        final float[] dout;
        /** (TILE_QUERIES, TILE_KEYS) scores then probabilities; backward: dP then dS. */
        final float[] s;
        final float[] ds;
        /** (TILE_QUERIES, hsPad) the output accumulator (forward), dq (backward). */
        final float[] o;
        final float[] rowMax = new float[TILE_QUERIES];
        final float[] rowSum = new float[TILE_QUERIES];
        final float[] lanes = new float[LANES];

        Scratch(final int T, final int hs, final boolean backward) {
            this.hs = hs;
            this.hsPad = (hs + BLOCK - 1) / BLOCK * BLOCK;
            this.tPad = (T + TILE_QUERIES - 1) / TILE_QUERIES * TILE_QUERIES;
            kT = new float[hs * tPad];
            s = new float[TILE_QUERIES * TILE_KEYS];
            o = new float[TILE_QUERIES * hsPad];
            qs = new float[TILE_QUERIES * hs];
            if (backward) {
                v = null;
                k = new float[tPad * hsPad];
                vT = new float[hs * tPad];
                dk = new float[tPad * hsPad];
                dv = new float[tPad * hsPad];
                q = new float[TILE_QUERIES * hsPad];
                dout = new float[TILE_QUERIES * hsPad];
                ds = new float[TILE_QUERIES * TILE_KEYS];
            } else {
                v = new float[tPad * hsPad];
                k = null;
                vT = null;
                dk = null;
                dv = null;
                q = qs;
                dout = null;
                ds = null;
            }
        }
    }
}
