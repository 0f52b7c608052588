package dev.zeroshard.worker.backend.cpu;

/**
 * General matrix product over row-major matrices (heap arrays or {@link MatrixBuffer}s), the one
 * primitive behind every matmul of the CPU backend:
 *
 * <pre>
 *   C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C[M,N]
 * </pre>
 *
 * <p>Row-major means element (i, j) of a matrix stored at {@code (x, xOff, ldx)} is
 * {@code x[xOff + i * ldx + j]}; {@code ldx} (the leading dimension, in elements) is at least the
 * stored width. {@code op(A) = A} stores A as (M, K) with {@code lda >= K}; {@code op(A) = Aᵀ} stores
 * A as (K, M) with {@code lda >= M}; likewise B is (K, N) or, transposed, (N, K). When {@code beta}
 * is 0, C is written without being read (NaN in C does not leak through).
 *
 * <p>bf16 inputs are bit patterns ({@code short[]} or a bf16 {@link MatrixBuffer}, the upper 16
 * bits of the fp32 value), accumulated in fp32 into an fp32 C: the mixed-precision contract of the
 * design (bf16 matrix inputs, fp32 accumulation). Every implementation supports it; native ones run it on
 * bf16 hardware instructions where the CPU has them.
 *
 * <p>Threading: an implementation parallelises inside a call; calls themselves must not overlap
 * (implementations keep reusable scratch buffers and serialise callers).
 */
public interface Gemm {
    /**
     * {@code C = alpha * op(A) · op(B) + beta * C + bias} (bias, when not null, added to every row:
     * {@code bias[biasOff + j]} to column j). A and B are fp32 or bf16 (see {@link Operand}); when
     * both are bf16 the product runs in bf16 with fp32 accumulation, otherwise in fp32 (bf16 widened
     * exactly), except in the bf16-compute modes that round fp32 inputs to bf16.
     */
    void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha, Operand a, Operand b,
        float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff);

    /** {@code C = alpha * op(A) · op(B) + beta * C} in fp32 (see the type's documentation). */
    default void sgemm(boolean transA, boolean transB, int m, int n, int k,
        float alpha, float[] a, int aOff, int lda,
        float[] b, int bOff, int ldb,
        float beta, float[] c, int cOff, int ldc) {
        multiply(transA, transB, m, n, k, alpha, Operand.of(a, aOff, lda), Operand.of(b, bOff, ldb), beta, c, cOff,
            ldc, null, 0);
    }

    /**
     * {@code C = alpha * op(A) · op(B) + beta * C} with A and B in bf16 (bit patterns), products
     * accumulated in fp32, C in fp32. Layout rules as for {@link #sgemm}.
     */
    default void bf16gemm(boolean transA, boolean transB, int m, int n, int k,
        float alpha, short[] a, int aOff, int lda,
        short[] b, int bOff, int ldb,
        float beta, float[] c, int cOff, int ldc) {
        multiply(transA, transB, m, n, k, alpha, Operand.ofBits(a, aOff, lda), Operand.ofBits(b, bOff, ldb), beta, c,
            cOff, ldc, null, 0);
    }

    /**
     * A buffer of {@code length} fp32 or bf16 values that this Gemm reads without copying it
     * (off-heap for the native ones); the caller closes it.
     */
    default MatrixBuffer newBuffer(long length, boolean bf16) {
        return new MatrixBuffer.Heap(length, bf16);
    }

    /** A short name for logs and benchmark tables, e.g. {@code "onednn"} or {@code "java"}. */
    String name();

    /** The checks below, for operands and a bias. */
    static void checkArguments(final boolean transA, final boolean transB, final int m, final int n, final int k,
        final Operand a, final Operand b, final float[] c, final int cOff, final int ldc, final float[] bias,
        final int biasOff) {
        checkArguments(transA, transB, m, n, k, a.storeLength(), a.offset(), a.ld(), b.storeLength(), b.offset(),
            b.ld(), c.length, cOff, ldc);
        if (bias != null && (biasOff < 0 || (long)biasOff + n > bias.length)) {
            throw new IllegalArgumentException("bias: " + n + " values at offset=" + biasOff + " run past length="
                + bias.length);
        }
    }

    /**
     * Checks the arguments of one call against the array lengths, once per call, so that the
     * kernels can index without further checks; throws {@link IllegalArgumentException} naming the
     * offending value.
     */
    static void checkArguments(final boolean transA, final boolean transB, final int m, final int n, final int k,
        final long aLength, final long aOff, final int lda, final long bLength, final long bOff, final int ldb,
        final long cLength, final long cOff, final int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        }
        final int aRows = transA ? k : m;
        final int aCols = transA ? m : k;
        final int bRows = transB ? n : k;
        final int bCols = transB ? k : n;
        checkMatrix("A", aRows, aCols, aLength, aOff, lda);
        checkMatrix("B", bRows, bCols, bLength, bOff, ldb);
        checkMatrix("C", m, n, cLength, cOff, ldc);
    }

    private static void checkMatrix(final String name, final int rows, final int cols, final long length,
        final long off, final int ld) {
        if (off < 0) {
            throw new IllegalArgumentException(name + ": offset=" + off + " < 0");
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(name + ": ld=" + ld + " < width=" + cols);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        final long end = off + (long)(rows - 1) * ld + cols;
        if (end > length) {
            throw new IllegalArgumentException(name + ": (" + rows + "," + cols + ") with ld=" + ld + " at offset="
                + off + " ends at " + end + " > length=" + length);
        }
    }
}
