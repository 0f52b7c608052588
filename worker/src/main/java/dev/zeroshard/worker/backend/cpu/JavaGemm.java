package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import dev.zeroshard.worker.ops.Parallel;
import java.util.Arrays;

/**
 * The pure-Java {@link Gemm}: correct on every JVM, used where no native library loads and as the
 * reference the native ones are tested beside.
 *
 * <p>Blocking: C is cut into rows (or, for short and wide products, column ranges) per thread;
 * each thread walks op(B) in panels of {@link #KC} × {@link #NC}, packs the panel into separate
 * row arrays (bf16 widened, transposes resolved), and for every row i of C adds
 * {@code alpha · op(A)[i, panel] · panel} to a copy of the row segment, four panel rows per pass.
 *
 * <p>Why this shape: C2 (JDK 17) vectorises {@code row[j] += a0*b0[j] + … + a3*b3[j]} only when
 * every array in the loop is indexed by the same expression (no per-array offset) and when the
 * loop stores to one array; hence packed rows, a zero-based row copy, and four terms (eight are too
 * large for the unroller). Measured ≈ 40-50 GFLOP/s per core on AVX-512; see the worker README.
 *
 * <p>Deterministic: every element of C is summed over k in the same order whatever the thread
 * count. Calls are serialised ({@code synchronized}); the packing scratch is reused across calls.
 */
public final class JavaGemm implements Gemm {
    /** Panel depth (rows of op(B) per pass). */
    static final int KC = 256;
    /** Panel width (columns of op(B) per pass); a KC × NC fp32 panel is 512 KiB, within L2. */
    static final int NC = 512;
    /** Below this many rows per thread, threads split the columns instead. */
    private static final int MIN_ROWS_PER_THREAD = 16;
    /** Products under this many multiply-adds run on the calling thread alone. */
    private static final long MIN_PARALLEL_MACS = 1L << 18;

    /** Packing and row scratch of one chunk; reused across calls. */
    private static final class Scratch {
        final float[][] panel = new float[KC][NC];
        final float[] row = new float[NC];
        final float[] aRow = new float[KC];
    }

    private final boolean fp32AsBf16;
    private Scratch[] scratch = new Scratch[0];

    /** Exact fp32 products. */
    public JavaGemm() {
        this(false);
    }

    /**
     * With {@code fp32AsBf16}, {@link #sgemm} rounds A and B to bf16 (nearest even) while packing and
     * accumulates in fp32: the same contract as {@code new DnnlGemm(true)}.
     */
    public JavaGemm(final boolean fp32AsBf16) {
        this.fp32AsBf16 = fp32AsBf16;
    }

    @Override
    public String name() {
        return fp32AsBf16 ? "java-bf16-compute" : "java";
    }

    @Override
    public synchronized void multiply(final boolean transA, final boolean transB, final int m, final int n,
        final int k, final float alpha, final Operand a, final Operand b, final float beta, final float[] c,
        final int cOff, final int ldc, final float[] bias, final int biasOff) {
        Gemm.checkArguments(transA, transB, m, n, k, a, b, c, cOff, ldc, bias, biasOff);
        final Operand ha = onHeap(a, transA ? k : m, transA ? m : k);
        final Operand hb = onHeap(b, transB ? n : k, transB ? k : n);
        run(transA, transB, m, n, k, alpha, ha.floats(), ha.bits(), (int)ha.offset(), ha.ld(), hb.floats(), hb.bits(),
            (int)hb.offset(), hb.ld(), beta, c, cOff, ldc, bias, biasOff);
    }

    /** The operand as heap arrays: a heap buffer's own array, or a packed fp32 copy of a native buffer. */
    private static Operand onHeap(final Operand x, final int rows, final int cols) {
        if (x.buffer() instanceof MatrixBuffer.Heap heap) {
            return heap.bits != null ? Operand.ofBits(heap.bits, (int)x.offset(), x.ld())
                : Operand.of(heap.floats, (int)x.offset(), x.ld());
        }
        if (x.buffer() != null) {
            final float[] packed = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                x.buffer().read(x.offset() + (long)r * x.ld(), packed, r * cols, cols);
            }
            return Operand.of(packed, 0, Math.max(1, cols));
        }
        return x;
    }

    /** C[i, :] += bias[biasOff, +n) for every row i < m; nothing when {@code bias} is null. */
    static void addBias(final float[] c, final int cOff, final int ldc, final int m, final int n, final float[] bias,
        final int biasOff) {
        if (bias == null) {
            return;
        }
        for (int i = 0; i < m; i++) {
            final int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                c[ci + j] += bias[biasOff + j];
            }
        }
    }

    /** Exactly one of {@code a}/{@code aBits} and of {@code b}/{@code bBits} is non-null. */
    private void run(final boolean transA, final boolean transB, final int m, final int n, final int k,
        final float alpha, final float[] a, final short[] aBits, final int aOff, final int lda,
        final float[] b, final short[] bBits, final int bOff, final int ldb,
        final float beta, final float[] c, final int cOff, final int ldc, final float[] bias, final int biasOff) {
        if (m == 0 || n == 0) {
            return;
        }
        final Parallel parallel = Parallel.shared();
        final long macs = (long)m * n * Math.max(k, 1);
        final int threads = macs < MIN_PARALLEL_MACS ? 1 : parallel.threads();
        scaleRows(parallel, threads, beta, c, cOff, ldc, m, n);
        addBias(c, cOff, ldc, m, n, bias, biasOff);
        if (k == 0 || alpha == 0f) {
            return;
        }
        final boolean splitRows = m >= MIN_ROWS_PER_THREAD * threads || n < threads * 64;
        final int chunks = Math.max(1, Math.min(threads, splitRows ? m : n));
        ensureScratch(chunks);
        final Scratch[] chunkScratch = scratch;
        parallel.forRange(chunks, (from, to) -> {
            for (int chunk = from; chunk < to; chunk++) {
                final int rowFrom = splitRows ? (int)((long)m * chunk / chunks) : 0;
                final int rowTo = splitRows ? (int)((long)m * (chunk + 1) / chunks) : m;
                final int colFrom = splitRows ? 0 : (int)((long)n * chunk / chunks);
                final int colTo = splitRows ? n : (int)((long)n * (chunk + 1) / chunks);
                multiplyBlock(chunkScratch[chunk], fp32AsBf16, transA, transB, rowFrom, rowTo, colFrom, colTo, k,
                    alpha, a, aBits, aOff, lda, b, bBits, bOff, ldb, c, cOff, ldc);
            }
        });
    }

    private void ensureScratch(final int chunks) {
        if (scratch.length < chunks) {
            final Scratch[] grown = Arrays.copyOf(scratch, chunks);
            for (int i = scratch.length; i < chunks; i++) {
                grown[i] = new Scratch();
            }
            scratch = grown;
        }
    }

    /** C[rows] *= beta, or = 0 when beta is 0 (so that NaN or garbage in C is not read). */
    static void scaleRows(final Parallel parallel, final int threads, final float beta, final float[] c,
        final int cOff, final int ldc, final int m, final int n) {
        if (beta == 1f) {
            return;
        }
        final Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) {
                final int ci = cOff + i * ldc;
                if (beta == 0f) {
                    Arrays.fill(c, ci, ci + n, 0f);
                } else {
                    for (int j = ci; j < ci + n; j++) {
                        c[j] *= beta;
                    }
                }
            }
        };
        if (threads == 1) {
            body.run(0, m);
        } else {
            parallel.forRange(m, 16, body);
        }
    }

    /** C[rowFrom:rowTo, colFrom:colTo] += alpha · op(A)[rows, :] · op(B)[:, cols]. */
    private static void multiplyBlock(final Scratch s, final boolean round, final boolean transA,
        final boolean transB, final int rowFrom, final int rowTo, final int colFrom, final int colTo, final int k,
        final float alpha,
        final float[] a, final short[] aBits, final int aOff, final int lda,
        final float[] b, final short[] bBits, final int bOff, final int ldb,
        final float[] c, final int cOff, final int ldc) {
        final float[][] panel = s.panel;
        final float[] row = s.row;
        final float[] aRow = s.aRow;
        for (int j0 = colFrom; j0 < colTo; j0 += NC) {
            final int nb = Math.min(NC, colTo - j0);
            for (int p0 = 0; p0 < k; p0 += KC) {
                final int kb = Math.min(KC, k - p0);
                packPanel(panel, round, transB, b, bBits, bOff, ldb, p0, kb, j0, nb);
                for (int i = rowFrom; i < rowTo; i++) {
                    gatherRow(aRow, round, transA, alpha, a, aBits, aOff, lda, i, p0, kb);
                    final int ci = cOff + i * ldc + j0;
                    System.arraycopy(c, ci, row, 0, nb);
                    accumulate(row, panel, aRow, kb, nb);
                    System.arraycopy(row, 0, c, ci, nb);
                }
            }
        }
    }

    /** panel[p][j] = op(B)[p0 + p, j0 + j] for p < kb, j < nb, widened to fp32 (or rounded to bf16). */
    private static void packPanel(final float[][] panel, final boolean round, final boolean transB,
        final float[] b, final short[] bBits, final int bOff, final int ldb, final int p0, final int kb, final int j0,
        final int nb) {
        if (!transB) {
            // op(B) = B is (K,N): panel rows are slices of B's rows
            for (int p = 0; p < kb; p++) {
                final int bp = bOff + (p0 + p) * ldb + j0;
                final float[] dst = panel[p];
                if (b != null) {
                    System.arraycopy(b, bp, dst, 0, nb);
                    if (round) {
                        for (int j = 0; j < nb; j++) {
                            dst[j] = Bf16.round(dst[j]);
                        }
                    }
                } else {
                    for (int j = 0; j < nb; j++) {
                        dst[j] = Float.intBitsToFloat(bBits[bp + j] << 16);
                    }
                }
            }
        } else {
            // op(B) = Bᵀ with B stored (N,K): column j of the panel is a slice of B's row j0 + j
            for (int j = 0; j < nb; j++) {
                final int bj = bOff + (j0 + j) * ldb + p0;
                if (b != null) {
                    for (int p = 0; p < kb; p++) {
                        panel[p][j] = round ? Bf16.round(b[bj + p]) : b[bj + p];
                    }
                } else {
                    for (int p = 0; p < kb; p++) {
                        panel[p][j] = Float.intBitsToFloat(bBits[bj + p] << 16);
                    }
                }
            }
        }
    }

    /** aRow[p] = alpha · op(A)[i, p0 + p] for p < kb, widened to fp32 (or rounded to bf16). */
    private static void gatherRow(final float[] aRow, final boolean round, final boolean transA,
        final float alpha, final float[] a, final short[] aBits, final int aOff, final int lda, final int i,
        final int p0, final int kb) {
        // op(A) = A is (M,K): a row slice; op(A) = Aᵀ with A stored (K,M): a column slice
        final int start = transA ? aOff + p0 * lda + i : aOff + i * lda + p0;
        final int stride = transA ? lda : 1;
        if (a != null && round) {
            for (int p = 0; p < kb; p++) {
                aRow[p] = alpha * Bf16.round(a[start + p * stride]);
            }
        } else if (a != null) {
            for (int p = 0; p < kb; p++) {
                aRow[p] = alpha * a[start + p * stride];
            }
        } else {
            for (int p = 0; p < kb; p++) {
                aRow[p] = alpha * Float.intBitsToFloat(aBits[start + p * stride] << 16);
            }
        }
    }

    /** row[j] += Σ_p aRow[p] · panel[p][j] for p < kb, j < nb: the hot loop. */
    private static void accumulate(final float[] row, final float[][] panel, final float[] aRow, final int kb,
        final int nb) {
        int p = 0;
        for (; p + 4 <= kb; p += 4) {
            final float a0 = aRow[p];
            final float a1 = aRow[p + 1];
            final float a2 = aRow[p + 2];
            final float a3 = aRow[p + 3];
            final float[] b0 = panel[p];
            final float[] b1 = panel[p + 1];
            final float[] b2 = panel[p + 2];
            final float[] b3 = panel[p + 3];
            for (int j = 0; j < nb; j++) {
                row[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
            }
        }
        for (; p < kb; p++) {
            final float a0 = aRow[p];
            final float[] b0 = panel[p];
            for (int j = 0; j < nb; j++) {
                row[j] += a0 * b0[j];
            }
        }
    }
}
