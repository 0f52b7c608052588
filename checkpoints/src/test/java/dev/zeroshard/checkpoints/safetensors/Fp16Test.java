package dev.zeroshard.checkpoints.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Fp16Test {
    /** Exact value of a finite non-negative fp16 pattern, from the IEEE definition. */
    static double referenceValue(final int pattern) {
        final int exponent = (pattern >>> 10) & 0x1f;
        final int mantissa = pattern & 0x3ff;
        return exponent == 0 ? mantissa * 0x1p-24 : (1024 + mantissa) * Math.scalb(1.0, exponent - 25);
    }

    static int referenceFromFloat(final float value) {
        final int sign = (Float.floatToRawIntBits(value) >>> 16) & 0x8000;
        return sign | RoundingReference.nearestEven(Math.abs((double) value), 0x7c00, 0x1p16,
            Fp16Test::referenceValue);
    }

    @Test
    void shouldRoundTripEveryFp16BitPatternExceptNaNPayloadWhenConvertedToFloatAndBack() {
        for (int bits = 0; bits < 0x10000; bits++) {
            final float value = Fp16.toFloat((short) bits);
            final short back = Fp16.fromFloat(value);
            if ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0) {
                assertThat(Float.isNaN(value)).as("pattern %04x", bits).isTrue();
                assertThat(back & 0xffff).as("NaN %04x", bits).isEqualTo(bits | 0x0200);
            } else {
                assertThat(back & 0xffff).as("pattern %04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void shouldConvertEveryFiniteFp16ExactlyWhenWidening() {
        for (int bits = 0; bits < 0x7c00; bits++) {
            assertThat((double) Fp16.toFloat((short) bits)).as("pattern %04x", bits).isEqualTo(referenceValue(bits));
            assertThat((double) Fp16.toFloat((short) (bits | 0x8000))).isEqualTo(-referenceValue(bits));
        }
        assertThat(Fp16.toFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Fp16.toFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(Fp16.toFloat((short) 0x8000))).isEqualTo(0x8000_0000);
    }

    @Test
    void shouldRoundToNearestEvenWhenAtOrBesideEveryMidpoint() {
        for (int bits = 0; bits < 0x7c00; bits++) {
            final double low = referenceValue(bits);
            final double high = bits + 1 == 0x7c00 ? 0x1p16 : referenceValue(bits + 1);
            final float midpoint = (float) ((low + high) / 2); // exact: fp16 midpoints need 12 bits
            for (final float value : new float[] {(float) low, midpoint, Math.nextDown(midpoint),
                Math.nextUp(midpoint), Math.nextUp((float) low), Math.nextDown((float) high)}) {
                check(value);
                check(-value);
            }
        }
    }

    @Test
    void shouldRoundToNearestEvenWhenGivenRandomFloats() {
        final SplittableRandom random = new SplittableRandom(13);
        for (int i = 0; i < 1_000_000; i++) {
            final float value = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(value)) {
                check(value);
            }
            // and values in fp16's range, where the interesting cases are
            check((float) random.nextDouble(-70_000, 70_000));
            check((float) (random.nextDouble(-1, 1) * 0x1p-13));
        }
    }

    @Test
    void shouldHandleEdgeCasesWhenConverting() {
        assertThat(Fp16.fromFloat(Float.NaN)).isEqualTo(Fp16.NaN);
        assertThat(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(Float.intBitsToFloat(0x7f80_0001))))).isTrue();
        assertThat(Fp16.fromFloat(Float.intBitsToFloat(0xff80_0001))).isEqualTo((short) 0xfe00);
        assertThat(Fp16.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7c00);
        assertThat(Fp16.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xfc00);
        assertThat(Fp16.fromFloat(0.0f)).isEqualTo((short) 0x0000);
        assertThat(Fp16.fromFloat(-0.0f)).isEqualTo((short) 0x8000);
        assertThat(Fp16.fromFloat(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Fp16.fromFloat(Math.nextDown(65520f))).isEqualTo((short) 0x7bff);
        assertThat(Fp16.fromFloat(65520f)).isEqualTo((short) 0x7c00); // tie with 2^16: even is Inf
        assertThat(Fp16.fromFloat(1e10f)).isEqualTo((short) 0x7c00);
        assertThat(Fp16.fromFloat(-Float.MAX_VALUE)).isEqualTo((short) 0xfc00);
        assertThat(Fp16.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001); // smallest subnormal
        assertThat(Fp16.fromFloat(0x1p-25f)).isEqualTo((short) 0x0000); // tie with 0: even
        assertThat(Fp16.fromFloat(Math.nextUp(0x1p-25f))).isEqualTo((short) 0x0001);
        assertThat(Fp16.fromFloat(-0x1p-25f)).isEqualTo((short) 0x8000);
        assertThat(Fp16.fromFloat(0x1.8p-24f)).isEqualTo((short) 0x0002); // 1.5 steps: tie, even up
        assertThat(Fp16.fromFloat(Float.MIN_VALUE)).isEqualTo((short) 0x0000);
        assertThat(Fp16.fromFloat(Math.nextDown(0x1p-14f))).isEqualTo((short) 0x0400); // into the normals
        assertThat(Fp16.fromFloat(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(Fp16.fromFloat(1.0f + 0x1p-11f)).isEqualTo((short) 0x3c00); // tie, even down
        assertThat(Fp16.fromFloat(1.0f + 0x1.8p-10f)).isEqualTo((short) 0x3c02); // tie, even up
        assertThat(Fp16.fromFloat(-2.0f)).isEqualTo((short) 0xc000);
    }

    private static void check(final float value) {
        assertThat(Fp16.fromFloat(value) & 0xffff)
            .as("fromFloat(%s) bits %08x", value, Float.floatToRawIntBits(value))
            .isEqualTo(referenceFromFloat(value));
    }
}
