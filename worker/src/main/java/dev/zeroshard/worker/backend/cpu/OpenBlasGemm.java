package dev.zeroshard.worker.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_full;

/**
 * {@link Gemm} on OpenBLAS's {@code cblas_sgemm} (bytedeco's build), through
 * {@link StagedGemm}'s off-heap buffers. OpenBLAS exports no bf16 GEMM in this build, so bf16
 * inputs are widened to fp32 while staging: correct, not faster than fp32.
 *
 * <p>OpenBLAS keeps its own thread pool; {@link #setThreads} sizes it and must be called once at
 * start (changing it between products measurably slows the following products).
 */
public final class OpenBlasGemm extends StagedGemm {
    /** Loads the native library (throws {@link UnsatisfiedLinkError} or similar where it cannot). */
    public OpenBlasGemm() {
        // touching the class loads libopenblas; an unsupported platform fails here, not mid-training
        openblas_full.openblas_get_num_threads();
    }

    /** Sizes OpenBLAS's thread pool. */
    public static void setThreads(final int threads) {
        openblas_full.openblas_set_num_threads(threads);
    }

    /** The size of OpenBLAS's thread pool. */
    public static int threads() {
        return openblas_full.openblas_get_num_threads();
    }

    @Override
    public String name() {
        return "openblas";
    }

    @Override
    protected boolean stagesBf16() {
        return false;
    }

    @Override
    protected void multiply(final boolean bf16, final boolean transA, final boolean transB, final int m, final int n,
        final int k, final float alpha, final Pointer a, final int lda, final Pointer b, final int ldb,
        final float beta, final FloatPointer c) {
        openblas_full.cblas_sgemm(openblas_full.CblasRowMajor,
            transA ? openblas_full.CblasTrans : openblas_full.CblasNoTrans,
            transB ? openblas_full.CblasTrans : openblas_full.CblasNoTrans,
            m, n, k, alpha, new FloatPointer(a), lda, new FloatPointer(b), ldb, beta, c, n);
    }
}
