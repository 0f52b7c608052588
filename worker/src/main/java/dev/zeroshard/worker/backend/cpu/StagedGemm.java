package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.worker.ops.Parallel;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The part every native {@link Gemm} shares: give the library each input matrix where it can read
 * it, let it multiply into a packed off-heap C, copy C back (adding the bias on the way).
 *
 * <p>Inputs: a {@link NativeMatrixBuffer} of the compute type is read in place, at its offset and
 * leading dimension; anything else (heap arrays, other buffers) is first copied packed into reusable
 * off-heap staging, converted to the compute type. C is staged in slabs of rows so that its buffer
 * stays under {@link #MAX_C_SLAB_BYTES} whatever M is (the LM head's logits are (B·T, 50257)); it is
 * copied in only when {@code beta != 0}.
 */
abstract class StagedGemm implements Gemm {
    /** Bound on one staged slab of C. */
    static final long MAX_C_SLAB_BYTES = 64L << 20;

    private final OffHeapStaging aStage = new OffHeapStaging();
    private final OffHeapStaging bStage = new OffHeapStaging();
    private final OffHeapStaging cStage = new OffHeapStaging();

    /** Whether the library multiplies bf16 inputs; if not, bf16 is widened to fp32 while staging. */
    protected abstract boolean stagesBf16();

    /** Whether fp32 inputs are rounded to bf16 while staging (bf16 compute); only with {@link #stagesBf16()}. */
    protected boolean roundsFp32ToBf16() {
        return false;
    }

    /**
     * C = alpha · op(A) · op(B) + beta · C: A is (M,K), or (K,M) when transposed, with leading
     * dimension {@code lda}; likewise B; C is (M,N) packed (ldc = N). {@code bf16} says A and B hold
     * bf16 (only when {@link #stagesBf16()}); the pointers point at element (0, 0).
     */
    protected abstract void multiply(boolean bf16, boolean transA, boolean transB, int m, int n, int k,
        float alpha, Pointer a, int lda, Pointer b, int ldb, float beta, FloatPointer c);

    /** Off-heap, so that {@link #multiply} reads it without a copy. */
    @Override
    public MatrixBuffer newBuffer(final long length, final boolean bf16) {
        return new NativeMatrixBuffer(length, bf16);
    }

    @Override
    public final synchronized void multiply(final boolean transA, final boolean transB, final int m, final int n,
        final int k, final float alpha, final Operand a, final Operand b, final float beta, final float[] c,
        final int cOff, final int ldc, final float[] bias, final int biasOff) {
        Gemm.checkArguments(transA, transB, m, n, k, a, b, c, cOff, ldc, bias, biasOff);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            JavaGemm.scaleRows(Parallel.shared(), Parallel.shared().threads(), beta, c, cOff, ldc, m, n);
            JavaGemm.addBias(c, cOff, ldc, m, n, bias, biasOff);
            return;
        }
        final boolean bf16 = stagesBf16() && (a.bf16() && b.bf16() || roundsFp32ToBf16());
        // op(B) is (K,N): stored (K,N), or (N,K) when transposed
        final int bRows = transB ? n : k;
        final int bCols = transB ? k : n;
        final boolean bInPlace = readsInPlace(b, bf16);
        final Pointer bPointer = bInPlace ? ((NativeMatrixBuffer)b.buffer()).pointerAt(b.offset())
            : stage(bStage, b, 0, bRows, bCols, bf16);
        final int ldb = bInPlace ? b.ld() : bCols;
        final boolean aInPlace = readsInPlace(a, bf16);
        final int slabRows = (int)Math.max(1, Math.min(m, MAX_C_SLAB_BYTES / (4L * n)));
        for (int i0 = 0; i0 < m; i0 += slabRows) {
            final int rows = Math.min(slabRows, m - i0);
            // rows [i0, i0+rows) of op(A): a row slab of A (M,K), or a column slab of A stored (K,M)
            final long slabStart = transA ? i0 : (long)i0 * a.ld();
            final Pointer aPointer;
            final int lda;
            if (aInPlace) {
                aPointer = ((NativeMatrixBuffer)a.buffer()).pointerAt(a.offset() + slabStart);
                lda = a.ld();
            } else {
                aPointer = transA ? stage(aStage, a, slabStart, k, rows, bf16) : stage(aStage, a, slabStart, rows, k, bf16);
                lda = transA ? rows : k;
            }
            final int cSlabOff = cOff + i0 * ldc;
            if (beta != 0f) {
                cStage.copyIn(c, cSlabOff, ldc, rows, n);
            } else {
                cStage.ensure(4L * rows * n);
            }
            multiply(bf16, transA, transB, rows, n, k, alpha, aPointer, lda, bPointer, ldb, beta,
                cStage.floatPointer());
            cStage.copyOut(c, cSlabOff, ldc, rows, n, bias, biasOff);
        }
    }

    /** Frees the staging buffers (they are reallocated if the instance is used again). */
    public synchronized void freeStaging() {
        aStage.free();
        bStage.free();
        cStage.free();
    }

    /** Whether the library can read the operand where it is: a native buffer of the compute type. */
    private static boolean readsInPlace(final Operand x, final boolean bf16) {
        return x.buffer() instanceof NativeMatrixBuffer && x.buffer().bf16() == bf16;
    }

    /**
     * Copies the (rows, cols) matrix starting {@code start} elements past the operand's offset,
     * packed and converted to the compute type, into {@code stage}; returns the packed copy.
     */
    private Pointer stage(final OffHeapStaging stage, final Operand x, final long start, final int rows,
        final int cols, final boolean bf16) {
        final int ld = x.ld();
        if (x.buffer() instanceof MatrixBuffer.Heap heap) {
            return stageArrays(stage, heap.floats, heap.bits, (int)(x.offset() + start), ld, rows, cols, bf16);
        }
        if (x.buffer() != null) {
            stage.copyIn(x.buffer(), x.offset() + start, ld, rows, cols, bf16);
            return bf16 ? stage.shortPointer() : stage.floatPointer();
        }
        return stageArrays(stage, x.floats(), x.bits(), (int)(x.offset() + start), ld, rows, cols, bf16);
    }

    private static Pointer stageArrays(final OffHeapStaging stage, final float[] values, final short[] bits,
        final int off, final int ld, final int rows, final int cols, final boolean bf16) {
        if (values != null && bf16) {
            stage.copyInRounded(values, off, ld, rows, cols);
        } else if (values != null) {
            stage.copyIn(values, off, ld, rows, cols);
        } else if (bf16) {
            stage.copyIn(bits, off, ld, rows, cols);
        } else {
            stage.copyInWidened(bits, off, ld, rows, cols);
        }
        return bf16 ? stage.shortPointer() : stage.floatPointer();
    }
}
