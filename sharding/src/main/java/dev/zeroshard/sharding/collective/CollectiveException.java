package dev.zeroshard.sharding.collective;

import java.util.Arrays;

/**
 * A collective that did not complete. Names the collective, its bucket (-1 for none), the caller's training step
 * (as given to {@link Communicator#trainingStep(long)}; -1 when none was), the ring step this rank had reached, the
 * rank that reports it and the ranks held responsible. After one is thrown the communicator
 * is unusable and has released its Aeron resources; build a new one (for the survivors) to go on.
 */
public class CollectiveException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final CollectiveKind kind;
    private final int bucket;
    private final long trainingStep;
    private final int step;
    private final int rank;
    private final int[] culpritRanks;

    /**
     * @param kind         the collective.
     * @param bucket       its bucket, or -1.
     * @param step         the ring step this rank was at, or -1 before the first.
     * @param rank         the rank that throws.
     * @param culpritRanks the ranks that did not deliver (may be empty when none can be named).
     * @param detail       what happened, in words.
     */
    public CollectiveException(final CollectiveKind kind, final int bucket, final int step, final int rank,
                               final int[] culpritRanks, final String detail) {
        this(kind, bucket, -1, step, rank, culpritRanks, detail);
    }

    /**
     * As {@link #CollectiveException(CollectiveKind, int, int, int, int[], String)}, in the caller's training step
     * {@code trainingStep} (-1: none given).
     */
    public CollectiveException(final CollectiveKind kind, final int bucket, final long trainingStep, final int step,
                               final int rank, final int[] culpritRanks, final String detail) {
        super(message(kind, bucket, trainingStep, step, rank, culpritRanks, detail));
        this.kind = kind;
        this.bucket = bucket;
        this.trainingStep = trainingStep;
        this.step = step;
        this.rank = rank;
        this.culpritRanks = culpritRanks.clone();
    }

    public CollectiveKind kind() {
        return kind;
    }

    /** The bucket of the collective, or -1 when it was not started as part of one. */
    public int bucket() {
        return bucket;
    }

    /** The caller's training step when the collective was started, or -1 when it named none. */
    public long trainingStep() {
        return trainingStep;
    }

    /** The ring step this rank had reached, or -1. */
    public int step() {
        return step;
    }

    /** The rank that threw. */
    public int rank() {
        return rank;
    }

    /** The ranks that did not deliver, ascending; empty when none could be named. */
    public int[] culpritRanks() {
        return culpritRanks.clone();
    }

    private static String message(final CollectiveKind kind, final int bucket, final long trainingStep,
                                  final int step, final int rank, final int[] culpritRanks, final String detail) {
        final StringBuilder message = new StringBuilder(kind.label());
        if (bucket >= 0) {
            message.append(" of bucket ").append(bucket);
        }
        message.append(" failed on rank ").append(rank);
        if (trainingStep >= 0) {
            message.append(" in training step ").append(trainingStep);
        }
        if (step >= 0) {
            message.append(" at ring step ").append(step);
        }
        if (culpritRanks.length == 1) {
            message.append(": rank ").append(culpritRanks[0]).append(" did not deliver");
        } else if (culpritRanks.length > 1) {
            message.append(": ranks ").append(Arrays.toString(culpritRanks)).append(" did not deliver");
        }
        return message.append(" (").append(detail).append(')').toString();
    }
}
