package dev.zeroshard.worker.backend.cpu;

/** The pure-Java GEMM in bf16 compute mode: inputs rounded to bf16 while packing, fp32 accumulation. */
class JavaBf16ComputeGemmTest extends GemmContract {
    private final JavaGemm gemm = new JavaGemm(true);

    @Override
    protected Gemm gemm() {
        return gemm;
    }

    @Override
    protected boolean roundsFp32InputsToBf16() {
        return true;
    }
}
