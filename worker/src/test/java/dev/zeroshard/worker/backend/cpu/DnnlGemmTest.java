package dev.zeroshard.worker.backend.cpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;

/** oneDNN (exact fp32) behind the Gemm contract; skipped where its natives do not load. */
class DnnlGemmTest extends GemmContract {
    private static DnnlGemm gemm;
    private static boolean tried;

    @Override
    protected Gemm gemm() {
        if (!tried) {
            tried = true;
            gemm = Gemms.tryCreate(DnnlGemm::new);
        }
        assumeTrue(gemm != null, "oneDNN natives do not load here");
        return gemm;
    }

    @AfterAll
    static void freeStaging() {
        if (gemm != null) {
            gemm.freeStaging();
        }
    }
}
