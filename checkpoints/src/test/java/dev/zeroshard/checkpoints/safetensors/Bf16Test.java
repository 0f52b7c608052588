package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.sharding.numeric.Bf16;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16Test {
    /** Bits of the bf16 value nearest to {@code value}, ties to even, computed the slow way (for non-NaN input). */
    static int referenceFromFloat(final float value) {
        final int sign = (Float.floatToRawIntBits(value) >>> 16) & 0x8000;
        final double magnitude = Math.abs((double) value);
        return sign | RoundingReference.nearestEven(magnitude, 0x7f80, 0x1p128,
            pattern -> Float.intBitsToFloat(pattern << 16));
    }

    @Test
    void shouldRoundTripEveryBf16BitPatternExceptNaNPayloadWhenConvertedToFloatAndBack() {
        for (int bits = 0; bits < 0x10000; bits++) {
            final short bf16 = (short) bits;
            final float value = Bf16.toFloat(bf16);
            final short back = Bf16.fromFloat(value);
            if (Float.isNaN(value)) {
                assertThat(back & 0xffff).as("NaN %04x", bits).isEqualTo(bits | 0x0040);
            } else {
                assertThat(back & 0xffff).as("pattern %04x", bits).isEqualTo(bits);
                assertThat(Float.floatToRawIntBits(value)).isEqualTo(bits << 16);
            }
        }
    }

    @Test
    void shouldRoundToNearestEvenWhenTheDroppedBitsAreNearEveryRoundingBoundary() {
        final int[] lows = {0x0000, 0x0001, 0x3fff, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xbfff, 0xfffe, 0xffff};
        final SplittableRandom random = new SplittableRandom(7);
        for (int high = 0; high < 0x10000; high++) {
            if ((high & 0x7f80) == 0x7f80) {
                continue; // Inf and NaN have no neighbours to round to
            }
            for (final int low : lows) {
                check(Float.intBitsToFloat((high << 16) | low));
            }
            check(Float.intBitsToFloat((high << 16) | random.nextInt(0x10000)));
        }
    }

    @Test
    void shouldRoundToNearestEvenWhenGivenRandomFloats() {
        final SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 1_000_000; i++) {
            final float value = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(value)) {
                check(value);
            }
        }
    }

    @Test
    void shouldKeepNaNQuietWithSignAndTopPayloadWhenGivenAnyNaN() {
        assertThat(Bf16.fromFloat(Float.NaN)).isEqualTo(Bf16.NaN);
        // a signalling NaN whose payload lies only in the dropped bits: truncation would make it Inf
        final short fromSignalling = Bf16.fromFloat(Float.intBitsToFloat(0x7f80_0001));
        assertThat(Float.isNaN(Bf16.toFloat(fromSignalling))).isTrue();
        assertThat(fromSignalling).isEqualTo((short) 0x7fc0);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0xff80_0001))).isEqualTo((short) 0xffc0);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x7fbf_ffff))).isEqualTo((short) 0x7fff);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0xffff_ffff))).isEqualTo((short) 0xffff);
    }

    @Test
    void shouldKeepInfinitiesAndSignedZerosWhenConverting() {
        assertThat(Bf16.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7f80);
        assertThat(Bf16.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xff80);
        assertThat(Bf16.fromFloat(0.0f)).isEqualTo((short) 0x0000);
        assertThat(Bf16.fromFloat(-0.0f)).isEqualTo((short) 0x8000);
        assertThat(Bf16.toFloat((short) 0x8000)).isEqualTo(-0.0f);
        assertThat(Float.floatToRawIntBits(Bf16.toFloat((short) 0x8000))).isEqualTo(0x8000_0000);
    }

    @Test
    void shouldRoundSubnormalsToNearestEvenWhenBelowTheNormalRange() {
        assertThat(Bf16.fromFloat(Float.MIN_VALUE)).isEqualTo((short) 0x0000);
        assertThat(Bf16.fromFloat(-Float.MIN_VALUE)).isEqualTo((short) 0x8000);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x0000_8000))).isEqualTo((short) 0x0000); // tie, even down
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x0000_8001))).isEqualTo((short) 0x0001);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x0001_8000))).isEqualTo((short) 0x0002); // tie, even up
        // the largest subnormal rounds up into the smallest normal
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x007f_ffff))).isEqualTo((short) 0x0080);
        assertThat(Bf16.toFloat((short) 0x0001)).isEqualTo(Float.intBitsToFloat(0x0001_0000));
    }

    @Test
    void shouldBreakTiesToEvenAndRespectBoundariesWhenNearOne() {
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3f80_8000))).isEqualTo((short) 0x3f80); // 1 + 2^-8: even down
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3f81_8000))).isEqualTo((short) 0x3f82); // odd: up
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3f80_7fff))).isEqualTo((short) 0x3f80); // just below half
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3f80_8001))).isEqualTo((short) 0x3f81); // just above half
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3fff_ffff))).isEqualTo((short) 0x4000); // carry to 2.0
        assertThat(Bf16.fromFloat(-1.0f)).isEqualTo((short) 0xbf80);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0xbf80_8000))).isEqualTo((short) 0xbf80);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0xbf81_8000))).isEqualTo((short) 0xbf82);
    }

    @Test
    void shouldOverflowToInfinityOnlyWhenRoundingCarriesPastTheLargestBf16() {
        assertThat(Bf16.fromFloat(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);
        assertThat(Bf16.fromFloat(-Float.MAX_VALUE)).isEqualTo((short) 0xff80);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x7f7f_8000))).isEqualTo((short) 0x7f80); // tie, even is Inf
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x7f7f_7fff))).isEqualTo((short) 0x7f7f); // just below
        assertThat(Bf16.toFloat((short) 0x7f7f)).isEqualTo(3.3895314e38f);
    }

    @Test
    void shouldConvertArraySlicesWhenGivenOffsets() {
        final float[] src = {9f, 1.0f, 1.00390625f, -3.0f, 9f};
        final short[] bits = new short[6];
        Bf16.fromFloat(src, 1, bits, 2, 3);
        assertThat(bits).containsExactly((short) 0, (short) 0, (short) 0x3f80, (short) 0x3f80, (short) 0xc040,
            (short) 0);
        final float[] back = new float[4];
        Bf16.toFloat(bits, 2, back, 1, 3);
        assertThat(back).containsExactly(0f, 1.0f, 1.0f, -3.0f);
        final float[] rounded = {1.00390625f, 1.01171875f};
        Bf16.roundInPlace(rounded, 0, 2);
        assertThat(rounded).containsExactly(1.0f, 1.015625f);
    }

    private static void check(final float value) {
        assertThat(Bf16.fromFloat(value) & 0xffff)
            .as("fromFloat(%s) bits %08x", value, Float.floatToRawIntBits(value))
            .isEqualTo(referenceFromFloat(value));
    }
}
