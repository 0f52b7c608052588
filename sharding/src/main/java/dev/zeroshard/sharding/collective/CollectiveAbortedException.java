package dev.zeroshard.sharding.collective;

/**
 * This rank's own communicator was stopped: {@link Communicator#abort(String)} (the control plane's call), an
 * interrupted waiter, or a close while collectives were in flight. Every waiter gets one; the reason says who
 * stopped it and why.
 */
public final class CollectiveAbortedException extends CollectiveException {
    private static final long serialVersionUID = 1L;

    public CollectiveAbortedException(final CollectiveKind kind, final int bucket, final int step, final int rank,
                                      final String reason) {
        this(kind, bucket, -1, step, rank, reason);
    }

    public CollectiveAbortedException(final CollectiveKind kind, final int bucket, final long trainingStep,
                                      final int step, final int rank, final String reason) {
        super(kind, bucket, trainingStep, step, rank, new int[0], reason);
    }
}
