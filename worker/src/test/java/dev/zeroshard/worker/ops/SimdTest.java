package dev.zeroshard.worker.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class SimdTest {
    @Test
    void shouldRunVectorPathsWhenTestJvmHasTheModule() {
        assertThat(Simd.ENABLED).as("worker tests run with --add-modules jdk.incubator.vector").isTrue();
    }

    @Test
    void shouldRoundToBf16BitForBitLikeTheScalarWhenVectorised() {
        final Random random = new Random(9);
        final int n = (1 << 16) + 7;
        final float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // every bit pattern is fair: NaNs with any payload, infinities, subnormals, ties
            x[i] = Float.intBitsToFloat(random.nextInt());
        }
        final int[] edges = {0x7fc0_0000, 0xffc0_0001, 0x7f80_0001, 0x7fff_ffff, 0x7f80_0000, 0xff80_0000,
            0x3f80_8000, 0x3f81_8000, 0x7f7f_ffff, 0x0000_0001, 0x8000_0000, 0x0080_8000};
        for (int i = 0; i < edges.length; i++) {
            x[i * 3] = Float.intBitsToFloat(edges[i]);
        }
        final short[] vector = new short[n];
        Bf16Simd.toBits(x, 0, vector, 0, n);
        final float[] rounded = x.clone();
        final short[] roundingBits = new short[n];
        Bf16Simd.toBitsRoundingSource(rounded, 0, roundingBits, 0, n);
        for (int i = 0; i < n; i++) {
            final short expected = dev.zeroshard.sharding.numeric.Bf16.fromFloat(x[i]);
            assertThat(vector[i]).as("bf16 of bits %08x", Float.floatToRawIntBits(x[i])).isEqualTo(expected);
            assertThat(roundingBits[i]).isEqualTo(expected);
            assertThat(Float.floatToRawIntBits(rounded[i])).as("source rounded in place")
                .isEqualTo(expected << 16);
        }
    }

    @Test
    void shouldMatchScalarExp2BitForBitWhenVectorised() {
        final int n = 1 << 16;
        final float[] t = new float[n];
        final Random random = new Random(5);
        for (int i = 0; i < n; i++) {
            t[i] = (random.nextFloat() - 0.5f) * 300f;
        }
        t[0] = Float.NEGATIVE_INFINITY;
        t[1] = Float.POSITIVE_INFINITY;
        t[2] = 0f;
        t[3] = -0.5f;
        final float[] lanes = new float[SimdMath.LANES];
        for (int i = 0; i + SimdMath.LANES <= n; i += SimdMath.LANES) {
            SimdMath.exp2(FloatVector.fromArray(SimdMath.F, t, i)).intoArray(lanes, 0);
            for (int l = 0; l < SimdMath.LANES; l++) {
                assertThat(Float.floatToRawIntBits(lanes[l])).as("2^%s", t[i + l])
                    .isEqualTo(Float.floatToRawIntBits(Simd.exp2(t[i + l])));
            }
        }
    }

    @Test
    void shouldApproximateExp2WhenExponentIsInRange() {
        double worst = 0;
        for (int i = 0; i <= 1 << 20; i++) {
            final float t = -126f + 252f * i / (1 << 20);
            final double exact = Math.pow(2.0, t);
            worst = Math.max(worst, Math.abs(Simd.exp2(t) - exact) / exact);
        }
        assertThat(worst).isLessThan(2.5e-7);
        assertThat(Simd.exp2(0f)).isEqualTo(1f);
        assertThat(Simd.exp2(Float.NEGATIVE_INFINITY)).isLessThanOrEqualTo(0x1p-125f);
    }

    @Test
    void shouldGiveSameGeluWhetherVectorOrScalar() {
        // 1000 is not a multiple of the lane count: the tail runs the scalar twin
        final int n = 1000;
        final Random random = new Random(9);
        final float[] x = new float[n];
        final float[] dout = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float)random.nextGaussian() * 4f;
            dout[i] = (float)random.nextGaussian();
        }
        final float[] vectorOut = new float[n];
        final float[] vectorGrad = new float[n];
        Gelu.forward(vectorOut, 0, x, 0, n);
        Gelu.backward(vectorGrad, 0, x, 0, dout, 0, n, false);
        // the same element at a shifted position lands in the other path
        final float[] shifted = new float[n + 1];
        final float[] shiftedDout = new float[n + 1];
        System.arraycopy(x, 0, shifted, 1, n);
        System.arraycopy(dout, 0, shiftedDout, 1, n);
        final float[] shiftedOut = new float[n + 1];
        final float[] shiftedGrad = new float[n + 1];
        Gelu.forward(shiftedOut, 0, shifted, 0, n + 1);
        Gelu.backward(shiftedGrad, 0, shifted, 0, shiftedDout, 0, n + 1, false);
        for (int i = 0; i < n; i++) {
            assertThat(shiftedOut[i + 1]).as("gelu(%s)", x[i]).isEqualTo(vectorOut[i]);
            assertThat(shiftedGrad[i + 1]).as("gelu'(%s)", x[i]).isEqualTo(vectorGrad[i]);
        }
    }
}
