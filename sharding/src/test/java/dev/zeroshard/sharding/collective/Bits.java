package dev.zeroshard.sharding.collective;

import static org.assertj.core.api.Assertions.fail;

/** Bit-for-bit comparison of result buffers, naming the first differing element (fast on long buffers). */
final class Bits {
    private Bits() {
    }

    static void assertSameBits(final float[] actual, final float[] expected, final String what) {
        if (actual.length != expected.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                fail(what + ": element " + i + " is " + actual[i] + " (0x"
                    + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + "), expected " + expected[i] + " (0x"
                    + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }

    static void assertSameBits(final short[] actual, final short[] expected, final String what) {
        if (actual.length != expected.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] != expected[i]) {
                fail(what + ": bf16 element " + i + " is 0x" + Integer.toHexString(actual[i] & 0xffff)
                    + ", expected 0x" + Integer.toHexString(expected[i] & 0xffff));
            }
        }
    }
}
