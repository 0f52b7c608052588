package dev.zeroshard.worker.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.backend.cpu.MatrixBuffer;
import dev.zeroshard.worker.backend.cpu.Operand;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matmul's forward and backward against double-precision triple loops, on the pure-Java GEMM
 * (always) and on the process's chosen GEMM (native where it loads), with offsets into shared
 * buffers, operands both in heap arrays and in the Gemm's own {@link MatrixBuffer}s, and weight
 * gradients that already hold values (they are added to; input gradients are overwritten).
 */
class MatmulTest {
    private static final int N = 13;
    private static final int C = 17;
    private static final int OC = 11;
    private static final double TOLERANCE = 1e-5;

    static Stream<Gemm> gemms() {
        return Stream.of(new JavaGemm(), Gemms.best());
    }

    private static float[] random(final SplittableRandom random, final int n) {
        final float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float)(random.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** The values as an operand in a buffer of {@code gemm} (fp32, or rounded to bf16). */
    private static Operand inBuffer(final Gemm gemm, final float[] values, final int off, final int ld,
        final boolean bf16) {
        final MatrixBuffer buffer = gemm.newBuffer(values.length, bf16);
        buffer.write(0, values, 0, values.length);
        return Operand.of(buffer, off, ld);
    }

    private static void assertNear(final float[] got, final int off, final double[] expected, final String what) {
        for (int i = 0; i < expected.length; i++) {
            final double bound = TOLERANCE * Math.max(1, Math.abs(expected[i]));
            assertThat((double)got[off + i]).as("%s[%d]", what, i).isCloseTo(expected[i],
                Offset.offset(bound));
        }
    }

    @ParameterizedTest
    @MethodSource("gemms")
    void shouldMatchTripleLoopWhenForwardHasBias(final Gemm gemm) {
        final SplittableRandom random = new SplittableRandom(1);
        // inp (N,C) at offset 3, weight (C,OC) at 5, bias (OC) at 2, out (N,OC) at 4
        final float[] inp = random(random, 3 + N * C);
        final float[] weight = random(random, 5 + C * OC);
        final float[] bias = random(random, 2 + OC);
        final float[] out = random(random, 4 + N * OC + 1);
        final float before = out[4 + N * OC];
        Matmul.forward(gemm, out, 4, inBuffer(gemm, inp, 3, C, false), Operand.of(weight, 5, OC), bias, 2, N, C, OC);
        final double[] expected = new double[N * OC];
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < OC; o++) {
                double sum = bias[2 + o];
                for (int c = 0; c < C; c++) {
                    sum += (double)inp[3 + n * C + c] * weight[5 + c * OC + o];
                }
                expected[n * OC + o] = sum;
            }
        }
        assertNear(out, 4, expected, "out");
        assertThat(out[4 + N * OC]).isEqualTo(before);
    }

    @ParameterizedTest
    @MethodSource("gemms")
    void shouldMatchTripleLoopWhenForwardHasNoBias(final Gemm gemm) {
        final SplittableRandom random = new SplittableRandom(2);
        final float[] inp = random(random, N * C);
        final float[] weight = random(random, C * OC);
        final float[] out = new float[N * OC];
        Arrays.fill(out, Float.NaN);
        Matmul.forward(gemm, out, 0, Operand.of(inp, 0, C), Operand.of(weight, 0, OC), null, 0, N, C, OC);
        final double[] expected = new double[N * OC];
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < OC; o++) {
                double sum = 0;
                for (int c = 0; c < C; c++) {
                    sum += (double)inp[n * C + c] * weight[c * OC + o];
                }
                expected[n * OC + o] = sum;
            }
        }
        assertNear(out, 0, expected, "out");
    }

    @ParameterizedTest
    @MethodSource("gemms")
    void shouldWriteInputGradientsAndAddWeightGradientsWhenBackward(final Gemm gemm) {
        final SplittableRandom random = new SplittableRandom(3);
        final float[] inp = random(random, 1 + N * C);
        final float[] weight = random(random, 2 + C * OC);
        final float[] dout = random(random, 3 + N * OC);
        final float[] dinp = random(random, 4 + N * C);
        final float[] dweight = random(random, 5 + C * OC);
        final float[] dbias = random(random, 6 + OC);
        final float[] dinp0 = dinp.clone();
        final float[] dweight0 = dweight.clone();
        final float[] dbias0 = dbias.clone();
        Matmul.backward(gemm, dinp, 4, dweight, 5, dbias, 6, dout, 3, inBuffer(gemm, dout, 3, OC, false),
            Operand.of(inp, 1, C), Operand.of(weight, 2, OC), N, C, OC);
        final double[] expectedDinp = new double[N * C];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                double sum = 0;
                for (int o = 0; o < OC; o++) {
                    sum += (double)dout[3 + n * OC + o] * weight[2 + c * OC + o];
                }
                expectedDinp[n * C + c] = sum;
            }
        }
        final double[] expectedDweight = new double[C * OC];
        for (int c = 0; c < C; c++) {
            for (int o = 0; o < OC; o++) {
                double sum = dweight0[5 + c * OC + o];
                for (int n = 0; n < N; n++) {
                    sum += (double)inp[1 + n * C + c] * dout[3 + n * OC + o];
                }
                expectedDweight[c * OC + o] = sum;
            }
        }
        final double[] expectedDbias = new double[OC];
        for (int o = 0; o < OC; o++) {
            double sum = dbias0[6 + o];
            for (int n = 0; n < N; n++) {
                sum += dout[3 + n * OC + o];
            }
            expectedDbias[o] = sum;
        }
        assertNear(dinp, 4, expectedDinp, "dinp");
        assertThat(Arrays.copyOf(dinp, 4)).isEqualTo(Arrays.copyOf(dinp0, 4));
        assertNear(dweight, 5, expectedDweight, "dweight");
        assertNear(dbias, 6, expectedDbias, "dbias");
    }

    @ParameterizedTest
    @MethodSource("gemms")
    void shouldMatchTripleLoopWhenHeadIsTied(final Gemm gemm) {
        final SplittableRandom random = new SplittableRandom(4);
        final int v = 19;
        // inp (N,C), wte (V,C) at offset 7, logits (N,V)
        final float[] inp = random(random, N * C);
        final float[] wte = random(random, 7 + v * C);
        final float[] logits = new float[N * v];
        Matmul.forwardTransposed(gemm, logits, 0, inBuffer(gemm, inp, 0, C, false), Operand.of(wte, 7, C), N, C, v);
        final double[] expected = new double[N * v];
        for (int n = 0; n < N; n++) {
            for (int t = 0; t < v; t++) {
                double sum = 0;
                for (int c = 0; c < C; c++) {
                    sum += (double)inp[n * C + c] * wte[7 + t * C + c];
                }
                expected[n * v + t] = sum;
            }
        }
        assertNear(logits, 0, expected, "logits");

        final float[] dlogits = random(random, N * v);
        final float[] dinp = random(random, N * C);
        final float[] dwte = random(random, 7 + v * C);
        final float[] dwte0 = dwte.clone();
        Matmul.backwardTransposed(gemm, dinp, 0, dwte, 7, Operand.of(dlogits, 0, v), inBuffer(gemm, inp, 0, C, false),
            Operand.of(wte, 7, C), N, C, v);
        final double[] expectedDinp = new double[N * C];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                double sum = 0;
                for (int t = 0; t < v; t++) {
                    sum += (double)dlogits[n * v + t] * wte[7 + t * C + c];
                }
                expectedDinp[n * C + c] = sum;
            }
        }
        final double[] expectedDwte = new double[v * C];
        for (int t = 0; t < v; t++) {
            for (int c = 0; c < C; c++) {
                double sum = dwte0[7 + t * C + c];
                for (int n = 0; n < N; n++) {
                    sum += (double)dlogits[n * v + t] * inp[n * C + c];
                }
                expectedDwte[t * C + c] = sum;
            }
        }
        assertNear(dinp, 0, expectedDinp, "dinp");
        assertNear(dwte, 7, expectedDwte, "dwte");
    }

    private static short[] bits(final float[] x) {
        final short[] b = new short[x.length];
        Bf16Convert.toBits(x, 0, b, 0, x.length);
        return b;
    }

    @ParameterizedTest
    @MethodSource("gemms")
    void shouldMatchFp32VariantsWhenOperandsHoldBf16Values(final Gemm gemm) {
        final SplittableRandom random = new SplittableRandom(3);
        // bf16-valued operands: products are exact in both variants, only the summation order may differ
        final float[] inp = random(random, 3 + N * C);
        final float[] weight = random(random, 5 + C * OC);
        final float[] bias = random(random, 2 + OC);
        final float[] dout = random(random, N * OC);
        Bf16Rounding.roundInPlace(inp, 0, inp.length);
        Bf16Rounding.roundInPlace(weight, 0, weight.length);
        final float[] roundedDout = dout.clone();
        Bf16Rounding.roundInPlace(roundedDout, 0, roundedDout.length);
        final float[] out32 = new float[N * OC];
        final float[] out16 = new float[N * OC];
        Matmul.forward(gemm, out32, 0, Operand.of(inp, 3, C), Operand.of(weight, 5, OC), bias, 2, N, C, OC);
        Matmul.forward(gemm, out16, 0, inBuffer(gemm, inp, 3, C, true), Operand.ofBits(bits(weight), 5, OC), bias, 2,
            N, C, OC);
        assertNear(out16, 0, toDouble(out32), "out");

        final float[] dinp32 = random(new SplittableRandom(4), N * C);
        final float[] dinp16 = dinp32.clone();
        final float[] dweight32 = random(new SplittableRandom(5), C * OC);
        final float[] dweight16 = dweight32.clone();
        final float[] dbias16 = new float[OC];
        Matmul.backward(gemm, dinp32, 0, dweight32, 0, null, 0, roundedDout, 0, Operand.of(roundedDout, 0, OC),
            Operand.of(inp, 3, C), Operand.of(weight, 5, OC), N, C, OC);
        final double[] expectedDbias = new double[OC];
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < OC; o++) {
                expectedDbias[o] += dout[n * OC + o];
            }
        }
        // the bf16 gradient operand is rounded from the fp32 dout by the buffer; the bias gradient reads dout
        Matmul.backward(gemm, dinp16, 0, dweight16, 0, dbias16, 0, dout, 0, inBuffer(gemm, dout, 0, OC, true),
            Operand.ofBits(bits(inp), 3, C), Operand.ofBits(bits(weight), 5, OC), N, C, OC);
        assertNear(dinp16, 0, toDouble(dinp32), "dinp");
        assertNear(dweight16, 0, toDouble(dweight32), "dweight");
        assertNear(dbias16, 0, expectedDbias, "dbias (from the fp32 dout)");
    }

    private static double[] toDouble(final float[] x) {
        final double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
