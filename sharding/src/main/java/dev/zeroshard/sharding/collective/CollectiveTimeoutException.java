package dev.zeroshard.sharding.collective;

/**
 * A peer did not deliver: its deadline passed, its stream went away, it reported a failure of its own or it was
 * aborted. Thrown within the collective's deadline on every surviving rank; {@link #culpritRanks()} names the
 * rank(s) that did not deliver.
 */
public final class CollectiveTimeoutException extends CollectiveException {
    private static final long serialVersionUID = 1L;

    public CollectiveTimeoutException(final CollectiveKind kind, final int bucket, final int step, final int rank,
                                      final int[] culpritRanks, final String detail) {
        this(kind, bucket, -1, step, rank, culpritRanks, detail);
    }

    public CollectiveTimeoutException(final CollectiveKind kind, final int bucket, final long trainingStep,
                                      final int step, final int rank, final int[] culpritRanks, final String detail) {
        super(kind, bucket, trainingStep, step, rank, culpritRanks, detail);
    }
}
