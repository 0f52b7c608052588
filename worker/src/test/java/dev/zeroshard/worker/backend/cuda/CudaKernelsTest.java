package dev.zeroshard.worker.backend.cuda;

import dev.zeroshard.sharding.numeric.Bf16;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.ops.CrossEntropy;
import dev.zeroshard.worker.ops.Encoder;
import dev.zeroshard.worker.ops.FlashAttention;
import dev.zeroshard.worker.ops.Gelu;
import dev.zeroshard.worker.ops.LayerNorm;
import dev.zeroshard.worker.optim.AdamW;
import dev.zeroshard.worker.optim.GradientNorm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.zeroshard.worker.backend.cuda.GpuTesting.normal;
import static dev.zeroshard.worker.backend.cuda.GpuTesting.normalBf16;
import static dev.zeroshard.worker.backend.cuda.GpuTesting.relativeL2;
import static dev.zeroshard.worker.backend.cuda.GpuTesting.toBits;
import static dev.zeroshard.worker.backend.cuda.GpuTesting.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kernel against its CPU reference (the CPU backend's op) on fresh random inputs, odd sizes included.
 * Tolerances (‖out − ref‖ / ‖ref‖): 1e-2 where the kernel writes bf16 or computes through bf16 (attention), 1e-5
 * on fp32 paths. Skipped, with the probe's reason, where there is no usable GPU.
 */
class CudaKernelsTest {
    private static final double BF16_TOLERANCE = 1e-2;
    private static final double FP32_TOLERANCE = 1e-5;

    @ParameterizedTest
    @ValueSource(ints = {1, 255, 100_003})
    void shouldConvertBetweenFp32AndBf16AsTheCpuDoes(final int n) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final float[] values = normal(n, n, 3.0);
            values[0] = 1.00390625f; // a tie: rounds to even
            final DeviceBuffer in = gpu.floats(values);
            final DeviceBuffer bits = gpu.zeros(2L * n);
            gpu.k.f32ToBf16(gpu.stream, bits, 0, in, 0, n);
            assertThat(gpu.readBf16(bits, n)).containsExactly(toBits(values));

            final DeviceBuffer back = gpu.zeros(4L * n);
            gpu.k.bf16ToF32(gpu.stream, back, 0, bits, 0, n);
            assertThat(gpu.readFloats(back, n)).containsExactly(GpuTesting.toFloats(toBits(values)));
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1} M={2} N={3} K={4} pad={5}")
    @CsvSource({
        // odd sizes and leading dimensions: the element-wise loader
        "false, false, 77, 130, 45, 0", "false, true, 77, 130, 45, 0", "true, false, 77, 130, 45, 0",
        "true, true, 77, 130, 45, 0", "false, false, 1, 1, 1, 0", "true, false, 301, 64, 77, 0",
        // multiples of 8: the cp.async loader, with edges inside tiles and padded leading dimensions
        "false, false, 256, 384, 200, 0", "false, true, 256, 384, 200, 8", "true, false, 264, 136, 96, 16",
        "true, true, 136, 264, 520, 8", "false, true, 1030, 50, 768, 0"})
    void shouldMultiplyOnTensorCoresAsTheCpuGemmDoes(final boolean transA, final boolean transB, final int m,
                                                    final int n, final int k, final int pad) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final int lda = (transA ? m : k) + pad;
            final int ldb = (transB ? k : n) + pad;
            final int ldc = n + pad + 3;
            final float[] a = normalBf16(1, (transA ? k : m) * lda, 1.0);
            final float[] b = normalBf16(2, (transB ? n : k) * ldb, 1.0);
            final float[] c0 = normal(3, m * ldc, 1.0);
            final float[] bias = normal(4, n, 1.0);
            final float alpha = 0.75f;
            final float beta = 1.5f;
            final float[] ref = c0.clone();
            new JavaGemm().sgemm(transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, ref, 0, ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    ref[i * ldc + j] += bias[j];
                }
            }
            final DeviceBuffer dc = gpu.floats(c0);
            final DeviceBuffer dcBits = gpu.zeros(2L * m * ldc);
            gpu.k.gemm(gpu.stream, transA, transB, m, n, k, alpha, gpu.bf16(toBits(a)), 0, lda, gpu.bf16(toBits(b)),
                0, ldb, beta, dc, 0, ldc, gpu.floats(bias), 0, dcBits, 0, ldc);

            final float[] out = gpu.readFloats(dc, m * ldc);
            assertThat(relativeL2(out, ref)).as("fp32 C").isLessThan(FP32_TOLERANCE);
            final float[] outBits = gpu.readBf16AsFloats(dcBits, m * ldc);
            for (int i = 0; i < m; i++) {
                for (int j = n; j < ldc; j++) {
                    outBits[i * ldc + j] = Bf16.round(ref[i * ldc + j]);
                }
            }
            assertThat(relativeL2(outBits, ref)).as("bf16 C").isLessThan(BF16_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "N={0} C={1}")
    @CsvSource({"1, 64", "77, 200", "130, 768", "33, 1600"})
    void shouldNormaliseLayersAsTheCpuDoes(final int rows, final int channels) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final float[] inp = normal(10, rows * channels, 2.0);
            for (int i = 0; i < inp.length; i++) {
                inp[i] += 0.5f;
            }
            final float[] params = normal(11, 2 * channels, 1.0);
            final float eps = 1e-5f;
            final float[] out = new float[rows * channels];
            final float[] mean = new float[rows];
            final float[] rstd = new float[rows];
            LayerNorm.forward(out, 0, mean, 0, rstd, 0, inp, 0, params, 0, channels, rows, channels, eps);

            final DeviceBuffer dInp = gpu.floats(inp);
            final DeviceBuffer dParams = gpu.floats(params);
            final DeviceBuffer dOut = gpu.zeros(2L * rows * channels);
            final DeviceBuffer dMean = gpu.zeros(4L * rows);
            final DeviceBuffer dRstd = gpu.zeros(4L * rows);
            gpu.k.layerNormForward(gpu.stream, dOut, 0, dMean, 0, dRstd, 0, dInp, 0, dParams, 0, channels, rows,
                channels, eps);
            assertThat(relativeL2(gpu.readBf16AsFloats(dOut, rows * channels), out)).isLessThan(BF16_TOLERANCE);
            assertThat(relativeL2(gpu.readFloats(dMean, rows), mean)).isLessThan(FP32_TOLERANCE);
            assertThat(relativeL2(gpu.readFloats(dRstd, rows), rstd)).isLessThan(FP32_TOLERANCE);

            // backward adds into dinp and into the parameter gradients
            final float[] dout = normal(12, rows * channels, 1.0);
            final float[] dinp = normal(13, rows * channels, 0.1);
            final float[] grads = normal(14, 2 * channels, 1.0);
            final DeviceBuffer dDinp = gpu.floats(dinp);
            final DeviceBuffer dGrads = gpu.floats(grads);
            final DeviceBuffer scratch = gpu.zeros(4L * gpu.k.layerNormScratchFloats(rows, channels));
            gpu.k.layerNormBackward(gpu.stream, dDinp, 0, dGrads, 0, channels, gpu.floats(dout), 0, dInp, 0, dParams,
                0, dMean, 0, dRstd, 0, rows, channels, scratch);
            LayerNorm.backward(dinp, 0, grads, 0, channels, dout, 0, inp, 0, params, 0, mean, 0, rstd, 0, rows, channels,
                new float[LayerNorm.scratchLength(rows, channels)]);
            assertThat(relativeL2(gpu.readFloats(dDinp, rows * channels), dinp)).as("dinp").isLessThan(FP32_TOLERANCE);
            assertThat(relativeL2(gpu.readFloats(dGrads, 2 * channels), grads)).as("dweight, dbias")
                .isLessThan(FP32_TOLERANCE);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 1001, 300_007})
    void shouldApplyGeluAsTheCpuDoes(final int n) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final float[] inp = normal(20, n, 3.0);
            final float[] out = new float[n];
            Gelu.forward(out, 0, inp, 0, n);
            final DeviceBuffer dInp = gpu.floats(inp);
            final DeviceBuffer dOut = gpu.zeros(2L * n);
            gpu.k.geluForward(gpu.stream, dOut, 0, dInp, 0, n);
            assertThat(relativeL2(gpu.readBf16AsFloats(dOut, n), out)).isLessThan(BF16_TOLERANCE);

            final float[] dout = normal(21, n, 1.0);
            final float[] dinp = new float[n];
            Gelu.backward(dinp, 0, inp, 0, dout, 0, n, false);
            final DeviceBuffer dDinp = gpu.floats(normal(22, n, 1.0));
            gpu.k.geluBackward(gpu.stream, dDinp, 0, dInp, 0, gpu.floats(dout), 0, n);
            assertThat(relativeL2(gpu.readFloats(dDinp, n), dinp)).isLessThan(FP32_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "N={0} V={1}")
    @CsvSource({"1, 2", "37, 1001", "64, 50257"})
    void shouldComputeSoftmaxCrossEntropyAsTheCpuDoes(final int rows, final int vocab) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final int ld = (vocab + 7) / 8 * 8;
            final float[] logits = normal(30, rows * ld, 4.0);
            final int[] targets = tokens(31, rows, vocab);
            final float gradScale = 1f / rows;
            final float[] cpu = new float[rows * vocab];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(logits, r * ld, cpu, r * vocab, vocab);
            }
            final float[] losses = new float[rows];
            CrossEntropy.forwardBackward(cpu, 0, losses, 0, targets, 0, rows, vocab, gradScale);

            final DeviceBuffer dLosses = gpu.zeros(4L * rows);
            final DeviceBuffer dLogits = gpu.floats(logits);
            final DeviceBuffer dTargets = gpu.ints(targets);
            gpu.k.crossEntropy(gpu.stream, dLosses, 0, null, 0, dLogits, 0, dTargets, 0, rows, vocab, ld, 0f);
            assertThat(relativeL2(gpu.readFloats(dLosses, rows), losses)).as("losses, forward only")
                .isLessThan(FP32_TOLERANCE);

            final DeviceBuffer dGrads = gpu.floats(normal(32, rows * ld, 1.0));
            gpu.k.crossEntropy(gpu.stream, dLosses, 0, dGrads, 0, dLogits, 0, dTargets, 0, rows, vocab, ld, gradScale);
            assertThat(relativeL2(gpu.readFloats(dLosses, rows), losses)).as("losses").isLessThan(FP32_TOLERANCE);
            final float[] grads = gpu.readBf16AsFloats(dGrads, rows * ld);
            final float[] packed = new float[rows * vocab];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(grads, r * ld, packed, r * vocab, vocab);
                for (int v = vocab; v < ld; v++) {
                    assertThat(grads[r * ld + v]).as("padding column %d of row %d", v, r).isZero();
                }
            }
            assertThat(relativeL2(packed, cpu)).as("dlogits").isLessThan(BF16_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "B={0} T={1} C={2}")
    @CsvSource({"1, 1, 8", "3, 77, 128", "4, 64, 768"})
    void shouldEmbedTokensAsTheCpuDoes(final int batch, final int seq, final int channels) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final int vocab = 97;
            final int wpe = vocab * channels;
            final float[] params = normalBf16(40, (vocab + seq) * channels, 0.02);
            final int[] ids = tokens(41, batch * seq, vocab);
            final float[] out = new float[batch * seq * channels];
            Encoder.forwardBf16(out, 0, ids, 0, toBits(params), 0, wpe, batch, seq, channels);
            final DeviceBuffer dOut = gpu.zeros(4L * out.length);
            final DeviceBuffer dIds = gpu.ints(ids);
            gpu.k.encoderForward(gpu.stream, dOut, 0, dIds, 0, gpu.bf16(toBits(params)), 0, wpe, batch, seq, channels);
            assertThat(relativeL2(gpu.readFloats(dOut, out.length), out)).isLessThan(FP32_TOLERANCE);

            final float[] dout = normal(42, out.length, 1.0);
            final float[] grads = normal(43, params.length, 0.1);
            final DeviceBuffer dGrads = gpu.floats(grads);
            gpu.k.encoderBackward(gpu.stream, dGrads, 0, wpe, gpu.floats(dout), 0, dIds, 0, batch, seq, channels);
            Encoder.backward(grads, 0, wpe, dout, 0, ids, 0, batch, seq, channels);
            assertThat(relativeL2(gpu.readFloats(dGrads, grads.length), grads)).isLessThan(FP32_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "N={0} OC={1}")
    @CsvSource({"1, 3", "77, 130", "1030, 3072"})
    void shouldSumTheBiasGradientAsTheCpuDoes(final int rows, final int cols) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final float[] dout = normal(50, rows * cols, 1.0);
            final float[] dbias = normal(51, cols, 1.0);
            final float[] ref = dbias.clone();
            for (int j = 0; j < cols; j++) {
                double sum = 0;
                for (int i = 0; i < rows; i++) {
                    sum += dout[i * cols + j];
                }
                ref[j] += (float)sum;
            }
            final DeviceBuffer dDbias = gpu.floats(dbias);
            gpu.k.biasBackward(gpu.stream, dDbias, 0, gpu.floats(dout), 0, rows, cols,
                gpu.zeros(4L * CudaKernels.biasScratchFloats(rows, cols)));
            assertThat(relativeL2(gpu.readFloats(dDbias, cols), ref)).isLessThan(FP32_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "n={0} l2={1}")
    @CsvSource({"1, false", "100003, false", "4099, true"})
    void shouldTakeTheAdamWStepOfTheCpu(final int n, final boolean l2) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final float[] param = normal(60, n, 0.02);
            final float[] grad = normal(61, n, 1e-3);
            final float[] m = normal(62, n, 1e-3);
            final float[] v = normal(63, n, 1e-3);
            for (int i = 0; i < n; i++) {
                v[i] = v[i] * v[i];
            }
            final DeviceBuffer dParam = gpu.floats(param);
            final DeviceBuffer dBits = gpu.zeros(2L * n);
            final DeviceBuffer dM = gpu.floats(m);
            final DeviceBuffer dV = gpu.floats(v);
            final DeviceBuffer dGrad = gpu.floats(grad);
            for (int t = 1; t <= 3; t++) {
                AdamW.step(param, 0, grad, 0, m, v, 0, n, 6e-4, 0.9, 0.95, 1e-8, 0.1, l2, t);
                gpu.k.adamw(gpu.stream, dParam, 0, dBits, 0, dGrad, 0, dM, dV, 0, n, 6e-4, 0.9, 0.95, 1e-8, 0.1, l2, t);
            }
            final float[] out = gpu.readFloats(dParam, n);
            assertThat(relativeL2(out, param)).as("params").isLessThan(FP32_TOLERANCE);
            assertThat(relativeL2(gpu.readFloats(dM, n), m)).as("m").isLessThan(FP32_TOLERANCE);
            assertThat(relativeL2(gpu.readFloats(dV, n), v)).as("v").isLessThan(FP32_TOLERANCE);
            assertThat(gpu.readBf16(dBits, n)).containsExactly(toBits(out));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 12_345, 3_000_017})
    void shouldSumSquaresAsTheCpuDoes(final int n) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final float[] grads = normal(70, n, 0.1);
            final double ref = GradientNorm.sumOfSquares(grads, 0, n);
            final double out = gpu.k.sumOfSquares(gpu.stream, gpu.floats(grads), 0, n,
                gpu.zeros(8L * CudaKernels.SUM_OF_SQUARES_BLOCKS));
            assertThat(Math.abs(out - ref) / ref).isLessThan(FP32_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "B={0} T={1} NH={2} HD={3}")
    @CsvSource({"1, 1, 1, 64", "2, 77, 2, 64", "1, 130, 3, 64", "2, 300, 2, 64", "1, 64, 1, 128", "2, 77, 2, 128",
        "1, 257, 2, 128"})
    void shouldAttendAndBackpropagateAsTheCpuFlashAttentionDoes(final int batch, final int seq, final int heads,
                                                               final int headSize) {
        try (GpuTesting gpu = GpuTesting.open()) {
            final int channels = heads * headSize;
            final int btc = batch * seq * channels;
            final float[] qkv = normalBf16(80, 3 * btc, 1.0);
            final float[] out = new float[btc];
            final float[] lse = new float[batch * heads * seq];
            FlashAttention.forward(out, 0, lse, 0, qkv, 0, batch, seq, channels, heads);

            final DeviceBuffer dQkv = gpu.bf16(toBits(qkv));
            final DeviceBuffer dOut = gpu.zeros(2L * btc);
            final DeviceBuffer dLse = gpu.zeros(4L * lse.length);
            gpu.k.attentionForward(gpu.stream, dOut, 0, dLse, 0, dQkv, 0, batch, seq, channels, heads);
            assertThat(relativeL2(gpu.readBf16AsFloats(dOut, btc), out)).as("out").isLessThan(BF16_TOLERANCE);
            assertThat(relativeL2(gpu.readFloats(dLse, lse.length), lse)).as("lse").isLessThan(FP32_TOLERANCE);

            // backward adds into dqkv; the CPU reads out at bf16 precision, as the bf16 model keeps it
            final float[] dout = normal(81, btc, 1.0);
            final float[] dqkv = normal(82, 3 * btc, 1e-3);
            final DeviceBuffer dDqkv = gpu.floats(dqkv);
            Bf16.roundInPlace(out, 0, out.length);
            FlashAttention.backward(dqkv, 0, dout, 0, out, 0, lse, 0, qkv, 0, batch, seq, channels, heads);
            gpu.k.attentionBackward(gpu.stream, dDqkv, 0, gpu.floats(dout), 0, dOut, 0, dLse, 0, dQkv, 0, batch, seq,
                channels, heads, gpu.zeros(4L * lse.length), gpu.zeros(2L * btc));
            assertThat(relativeL2(gpu.readFloats(dDqkv, 3 * btc), dqkv)).as("dqkv").isLessThan(BF16_TOLERANCE);
        }
    }
}
