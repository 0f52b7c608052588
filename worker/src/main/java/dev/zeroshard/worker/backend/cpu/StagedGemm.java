package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.worker.ops.Parallel;

/**
 * The part every native {@link Gemm} shares: copy op(A), op(B) and (when {@code beta != 0}) C from
 * the heap into packed off-heap buffers, let the library multiply, copy C back.
 *
 * <p>B is staged once per call; A and C are staged in slabs of rows so that the C buffer stays under
 * {@link #MAX_C_SLAB_BYTES} whatever M is (the LM head's logits are (B·T, 50257)).
 */
abstract class StagedGemm implements Gemm {
    /** Bound on one staged slab of C. */
    static final long MAX_C_SLAB_BYTES = 64L << 20;

    private final OffHeapStaging aStage = new OffHeapStaging();
    private final OffHeapStaging bStage = new OffHeapStaging();
    private final OffHeapStaging cStage = new OffHeapStaging();

    /** Whether {@link #multiply} takes bf16 inputs as bf16; if not, bf16 is widened to fp32 while staging. */
    protected abstract boolean stagesBf16();

    /** Whether fp32 inputs are rounded to bf16 while staging (bf16 compute); only with {@link #stagesBf16()}. */
    protected boolean roundsFp32ToBf16() {
        return false;
    }

    /**
     * C = alpha · op(A) · op(B) + beta · C on the staged, packed buffers: A is (M,K), or (K,M) when
     * transposed; B is (K,N), or (N,K); C is (M,N); every leading dimension equals the stored width.
     * {@code bf16} says the inputs hold bf16 (only when {@link #stagesBf16()}).
     */
    protected abstract void multiply(boolean bf16, boolean transA, boolean transB, int m, int n, int k,
        float alpha, OffHeapStaging a, OffHeapStaging b, float beta, OffHeapStaging c);

    @Override
    public final synchronized void sgemm(final boolean transA, final boolean transB, final int m, final int n,
        final int k, final float alpha, final float[] a, final int aOff, final int lda,
        final float[] b, final int bOff, final int ldb,
        final float beta, final float[] c, final int cOff, final int ldc) {
        Gemm.checkArguments(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        run(transA, transB, m, n, k, alpha, a, null, aOff, lda, b, null, bOff, ldb, beta, c, cOff, ldc);
    }

    @Override
    public final synchronized void bf16gemm(final boolean transA, final boolean transB, final int m, final int n,
        final int k, final float alpha, final short[] a, final int aOff, final int lda,
        final short[] b, final int bOff, final int ldb,
        final float beta, final float[] c, final int cOff, final int ldc) {
        Gemm.checkArguments(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        run(transA, transB, m, n, k, alpha, null, a, aOff, lda, null, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Frees the staging buffers (they are reallocated if the instance is used again). */
    public synchronized void freeStaging() {
        aStage.free();
        bStage.free();
        cStage.free();
    }

    private void run(final boolean transA, final boolean transB, final int m, final int n, final int k,
        final float alpha, final float[] a, final short[] aBits, final int aOff, final int lda,
        final float[] b, final short[] bBits, final int bOff, final int ldb,
        final float beta, final float[] c, final int cOff, final int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            JavaGemm.scaleRows(Parallel.shared(), Parallel.shared().threads(), beta, c, cOff, ldc, m, n);
            return;
        }
        final boolean bf16 = stagesBf16() && (aBits != null || roundsFp32ToBf16());
        // op(B) is (K,N): stored (K,N), or (N,K) when transposed
        stage(bStage, b, bBits, bOff, ldb, transB ? n : k, transB ? k : n);
        final int slabRows = (int)Math.max(1, Math.min(m, MAX_C_SLAB_BYTES / (4L * n)));
        for (int i0 = 0; i0 < m; i0 += slabRows) {
            final int rows = Math.min(slabRows, m - i0);
            // rows [i0, i0+rows) of op(A): a row slab of A (M,K), or a column slab of A stored (K,M)
            if (transA) {
                stage(aStage, a, aBits, aOff + i0, lda, k, rows);
            } else {
                stage(aStage, a, aBits, aOff + i0 * lda, lda, rows, k);
            }
            final int cSlabOff = cOff + i0 * ldc;
            if (beta != 0f) {
                cStage.copyIn(c, cSlabOff, ldc, rows, n);
            } else {
                cStage.ensure(4L * rows * n);
            }
            multiply(bf16, transA, transB, rows, n, k, alpha, aStage, bStage, beta, cStage);
            cStage.copyOut(c, cSlabOff, ldc, rows, n);
        }
    }

    private void stage(final OffHeapStaging stage, final float[] x, final short[] xBits, final int off, final int ld,
        final int rows, final int cols) {
        if (x != null && roundsFp32ToBf16()) {
            stage.copyInRounded(x, off, ld, rows, cols);
        } else if (x != null) {
            stage.copyIn(x, off, ld, rows, cols);
        } else if (stagesBf16()) {
            stage.copyIn(xBits, off, ld, rows, cols);
        } else {
            stage.copyInWidened(xBits, off, ld, rows, cols);
        }
    }
}
