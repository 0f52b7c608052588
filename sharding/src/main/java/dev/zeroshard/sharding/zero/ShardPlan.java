package dev.zeroshard.sharding.zero;

import dev.zeroshard.sharding.collective.Partition;

/**
 * The ZeRO partition of a flat buffer of Ψ elements over N ranks: the buffer is padded to {@code N * shardLength}
 * elements ({@code shardLength = ceil(Ψ / N)}) and rank r owns {@code [r * shardLength, (r + 1) * shardLength)}.
 * Every rank therefore holds shards of the same size; only the last rank(s) own padding, which never holds a
 * parameter. Ownership decides where each element's sum ends up in every reduction, so it also fixes the
 * element's reduction order (see {@link #segments}).
 *
 * @param elements    Ψ, the real elements of the buffer.
 * @param worldSize   N.
 * @param shardLength elements per rank, padding included.
 */
public record ShardPlan(long elements, int worldSize, int shardLength) {
    public ShardPlan {
        if (elements < 0 || worldSize < 1) {
            throw new IllegalArgumentException("elements=" + elements + " must be >= 0 and worldSize=" + worldSize
                + " >= 1");
        }
        final long expected = (elements + worldSize - 1) / worldSize;
        if (shardLength != expected) {
            throw new IllegalArgumentException("shardLength=" + shardLength + " must be ceil(" + elements + " / "
                + worldSize + ") = " + expected);
        }
    }

    /** The plan for Ψ elements over {@code worldSize} ranks. */
    public static ShardPlan of(final long elements, final int worldSize) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize=" + worldSize + " must be >= 1");
        }
        final long shard = (elements + worldSize - 1) / worldSize;
        if (shard > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(elements + " elements over " + worldSize + " ranks make shards of "
                + shard + " elements, more than one Java array holds");
        }
        return new ShardPlan(elements, worldSize, (int) shard);
    }

    /** Ψ padded to a multiple of N. */
    public long paddedElements() {
        return (long) shardLength * worldSize;
    }

    /** First element rank {@code rank} owns. */
    public long shardStart(final int rank) {
        checkRank(rank);
        return (long) rank * shardLength;
    }

    /** One past the last real (not padding) element rank {@code rank} owns; {@code <= shardStart} when none. */
    public long shardEnd(final int rank) {
        checkRank(rank);
        return Math.min(elements, (long) (rank + 1) * shardLength);
    }

    /** Real elements rank {@code rank} owns (its shard less padding). */
    public int ownedElements(final int rank) {
        return (int) Math.max(0, shardEnd(rank) - shardStart(rank));
    }

    /** The rank that owns element {@code element}. */
    public int owner(final long element) {
        if (element < 0 || element >= elements) {
            throw new IllegalArgumentException("element " + element + " is outside [0, " + elements + ")");
        }
        return (int) (element / shardLength);
    }

    /**
     * The range {@code [start, end)} of the buffer cut by owner: segment r is the part of the range rank r owns
     * (empty when it owns none of it). A reduce-scatter with this partition leaves each element's sum with its
     * owner, and the ring adds the ranks' values for an element in the order fixed by its owner alone, never by
     * the range, the bucket or the stage that reduced it: that is what makes every stage and every bucket size
     * give the same bits.
     */
    public Partition segments(final long start, final long end) {
        if (start < 0 || end < start || end > elements) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") is not inside [0, " + elements
                + ")");
        }
        if (end - start > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") is longer than one collective");
        }
        final int[] bounds = new int[worldSize + 1];
        for (int rank = 0; rank <= worldSize; rank++) {
            final long boundary = Math.min(Math.max((long) rank * shardLength, start), end);
            bounds[rank] = (int) (boundary - start);
        }
        return Partition.of(bounds);
    }

    private void checkRank(final int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank=" + rank + " must lie in 0.." + (worldSize - 1));
        }
    }
}
