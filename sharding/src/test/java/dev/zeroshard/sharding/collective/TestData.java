package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.numeric.Bf16;

import java.util.SplittableRandom;

/** Random, never-zero inputs of mixed sign and magnitude, reproducible per (seed, rank). */
final class TestData {
    private TestData() {
    }

    static float[] floats(final long seed, final int rank, final int length) {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + rank);
        final float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = nonZero(random);
        }
        return values;
    }

    static short[] bf16(final long seed, final int rank, final int length) {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + rank);
        final short[] values = new short[length];
        for (int i = 0; i < length; i++) {
            short bits;
            do {
                bits = Bf16.fromFloat(nonZero(random));
            } while (Bf16.toFloat(bits) == 0f);
            values[i] = bits;
        }
        return values;
    }

    /** Uniform magnitude in [2^-8, 2^8) on a log scale, random sign: sums that actually round. */
    private static float nonZero(final SplittableRandom random) {
        final double magnitude = Math.pow(2.0, random.nextDouble(-8.0, 8.0));
        return (float) (random.nextBoolean() ? magnitude : -magnitude);
    }

    static float[][] floatsPerRank(final long seed, final int worldSize, final int length) {
        final float[][] inputs = new float[worldSize][];
        for (int rank = 0; rank < worldSize; rank++) {
            inputs[rank] = floats(seed, rank, length);
        }
        return inputs;
    }

    static short[][] bf16PerRank(final long seed, final int worldSize, final int length) {
        final short[][] inputs = new short[worldSize][];
        for (int rank = 0; rank < worldSize; rank++) {
            inputs[rank] = bf16(seed, rank, length);
        }
        return inputs;
    }
}
