package dev.zeroshard.worker.backend.cpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;

/**
 * oneDNN in bf16 compute mode: fp32 in, inputs rounded to bf16 (nearest even), fp32 accumulation;
 * the contract with the expected values computed from rounded inputs. Skipped where oneDNN does not load.
 */
class DnnlBf16ComputeGemmTest extends GemmContract {
    private static DnnlGemm gemm;
    private static boolean tried;

    @Override
    protected Gemm gemm() {
        if (!tried) {
            tried = true;
            gemm = Gemms.tryCreate(() -> new DnnlGemm(true));
        }
        assumeTrue(gemm != null, "oneDNN natives do not load here");
        return gemm;
    }

    @Override
    protected boolean roundsFp32InputsToBf16() {
        return true;
    }

    @AfterAll
    static void freeStaging() {
        if (gemm != null) {
            gemm.freeStaging();
        }
    }
}
