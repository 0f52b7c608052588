package dev.zeroshard.worker.backend.cpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;

/** OpenBLAS behind the Gemm contract; skipped where its natives do not load. */
class OpenBlasGemmTest extends GemmContract {
    private static OpenBlasGemm gemm;
    private static boolean tried;

    @Override
    protected Gemm gemm() {
        if (!tried) {
            tried = true;
            gemm = Gemms.tryCreate(OpenBlasGemm::new);
        }
        assumeTrue(gemm != null, "OpenBLAS natives do not load here");
        return gemm;
    }

    @AfterAll
    static void freeStaging() {
        if (gemm != null) {
            gemm.freeStaging();
        }
    }
}
