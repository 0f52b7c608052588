package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.numeric.Bf16;

/**
 * The ring schedule and the reduction order it fixes; {@code docs/ring-collectives.md} derives both.
 *
 * <p>Ranks form a ring r → r + 1 (mod N). At global step t rank r sends segment {@link #sendSegment}
 * {@code = (r - t - 1) mod N} and receives segment {@link #receiveSegment} {@code = (r - t - 2) mod N}. Steps
 * 0..N-2 reduce (reduce-scatter), steps N-1..2N-3 gather (allgather); allreduce runs all 2N-2. After step N-2 rank
 * r holds the complete sum of segment r, its own segment of the {@link Partition}.
 *
 * <p>Reduction order: the sum of every element of segment j is accumulated in fp32 along the ring, starting at
 * rank {@code j + 1}: {@code ((x[j+1] + x[j+2]) + x[j+3]) + ... + x[j]} (indices mod N), a left fold in which the
 * owner adds its own value last. The order depends on nothing but j and N: not on timing, not on chunking, not on
 * the transport. So every run gives the same bits and, after the allgather copies the owner's result, every rank
 * holds the same bits. {@link #referenceSum} computes exactly this sum sequentially; bf16 buffers accumulate in
 * fp32 the same way and round once ({@link #referenceSumBf16}).
 */
public final class RingSchedule {
    private RingSchedule() {
    }

    /** The segment rank {@code rank} sends at global step {@code step}. */
    public static int sendSegment(final int rank, final int step, final int worldSize) {
        return Math.floorMod(rank - step - 1, worldSize);
    }

    /** The segment rank {@code rank} receives at global step {@code step}. */
    public static int receiveSegment(final int rank, final int step, final int worldSize) {
        return Math.floorMod(rank - step - 2, worldSize);
    }

    /** The rank whose value starts the sum of segment {@code segment}: the one after its owner. */
    public static int firstContributor(final int segment, final int worldSize) {
        return (segment + 1) % worldSize;
    }

    /** The {@code position}-th rank (0-based) whose value enters the sum of {@code segment}. */
    public static int contributor(final int segment, final int position, final int worldSize) {
        return (segment + 1 + position) % worldSize;
    }

    /**
     * The ring's sum of {@code inputs[rank][inOffset + i]}, element by element in the ring's order, into
     * {@code out[outOffset + i]} for {@code i < partition.length()}: bit for bit what allreduce leaves everywhere
     * and what reduce-scatter leaves in each owner's segment.
     */
    public static void referenceSum(final float[][] inputs, final int inOffset, final Partition partition,
                                    final float[] out, final int outOffset) {
        final int worldSize = partition.worldSize();
        if (inputs.length != worldSize) {
            throw new IllegalArgumentException("inputs.length=" + inputs.length + " != worldSize=" + worldSize);
        }
        for (int segment = 0; segment < worldSize; segment++) {
            final int start = partition.offset(segment);
            final int length = partition.length(segment);
            final float[] first = inputs[firstContributor(segment, worldSize)];
            System.arraycopy(first, inOffset + start, out, outOffset + start, length);
            for (int position = 1; position < worldSize; position++) {
                final float[] input = inputs[contributor(segment, position, worldSize)];
                for (int i = start; i < start + length; i++) {
                    out[outOffset + i] = out[outOffset + i] + input[inOffset + i];
                }
            }
        }
    }

    /**
     * The ring's sum of bf16 inputs: each element accumulated in fp32 in the ring's order, then rounded once to
     * bf16 (round to nearest even) into {@code out}.
     */
    public static void referenceSumBf16(final short[][] inputs, final int inOffset, final Partition partition,
                                        final short[] out, final int outOffset) {
        final int worldSize = partition.worldSize();
        if (inputs.length != worldSize) {
            throw new IllegalArgumentException("inputs.length=" + inputs.length + " != worldSize=" + worldSize);
        }
        for (int segment = 0; segment < worldSize; segment++) {
            final int start = partition.offset(segment);
            final int length = partition.length(segment);
            for (int i = start; i < start + length; i++) {
                float sum = Bf16.toFloat(inputs[firstContributor(segment, worldSize)][inOffset + i]);
                for (int position = 1; position < worldSize; position++) {
                    sum = sum + Bf16.toFloat(inputs[contributor(segment, position, worldSize)][inOffset + i]);
                }
                out[outOffset + i] = Bf16.fromFloat(sum);
            }
        }
    }
}
