package dev.zeroshard.sharding.collective;

import java.util.Arrays;

/**
 * How a buffer range of {@code length} elements is cut into one contiguous segment per rank: rank r's segment is
 * {@code [offset(r), offset(r) + length(r))}, relative to the start of the range. Segments tile the range exactly
 * once, in rank order; some may be empty. Reduce-scatter leaves rank r's sum in its segment; allgather fills every
 * segment from its owner.
 *
 * <p>{@link #even} is the partition ZeRO uses for a flat buffer (rank r owns {@code [r*L/N, (r+1)*L/N)}, sizes
 * differing by at most one); {@link #of} takes any other, such as the share of each rank's partition that falls
 * in one bucket. Immutable.
 */
public final class Partition {
    private final int[] bounds;

    private Partition(final int[] bounds) {
        this.bounds = bounds;
    }

    /** Rank r gets {@code [floor(r*length/worldSize), floor((r+1)*length/worldSize))}. */
    public static Partition even(final int length, final int worldSize) {
        if (length < 0 || worldSize < 1) {
            throw new IllegalArgumentException("length=" + length + " must be >= 0 and worldSize=" + worldSize
                + " >= 1");
        }
        final int[] bounds = new int[worldSize + 1];
        for (int rank = 0; rank <= worldSize; rank++) {
            bounds[rank] = (int) ((long) rank * length / worldSize);
        }
        return new Partition(bounds);
    }

    /**
     * A partition from its N + 1 boundaries: {@code bounds[0] = 0}, non-decreasing, {@code bounds[N]} the
     * length; rank r's segment is {@code [bounds[r], bounds[r+1])}.
     */
    public static Partition of(final int... bounds) {
        if (bounds.length < 2) {
            throw new IllegalArgumentException("a partition needs worldSize + 1 >= 2 bounds, got " + bounds.length);
        }
        if (bounds[0] != 0) {
            throw new IllegalArgumentException("bounds[0]=" + bounds[0] + " must be 0: " + Arrays.toString(bounds));
        }
        for (int rank = 1; rank < bounds.length; rank++) {
            if (bounds[rank] < bounds[rank - 1]) {
                throw new IllegalArgumentException("bounds must not decrease: bounds[" + rank + "]=" + bounds[rank]
                    + " < bounds[" + (rank - 1) + "]=" + bounds[rank - 1] + " in " + Arrays.toString(bounds));
            }
        }
        return new Partition(bounds.clone());
    }

    public int worldSize() {
        return bounds.length - 1;
    }

    /** Total elements of the range. */
    public int length() {
        return bounds[bounds.length - 1];
    }

    /** Start of {@code rank}'s segment, elements from the start of the range. */
    public int offset(final int rank) {
        return bounds[rank];
    }

    /** Elements in {@code rank}'s segment. */
    public int length(final int rank) {
        return bounds[rank + 1] - bounds[rank];
    }

    /** The N + 1 boundaries (a copy). */
    public int[] bounds() {
        return bounds.clone();
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof Partition && Arrays.equals(bounds, ((Partition) other).bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }

    @Override
    public String toString() {
        return "Partition" + Arrays.toString(bounds);
    }
}
