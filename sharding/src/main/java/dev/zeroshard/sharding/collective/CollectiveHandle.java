package dev.zeroshard.sharding.collective;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A collective started with one of {@link Communicator}'s {@code start...} methods. Until {@link #await()} returns
 * (or throws) the communicator's thread may read and write the buffer: leave it alone. Collectives run one after
 * another in the order they were started; awaiting them in that order is natural but not required.
 */
public final class CollectiveHandle {
    private final Communicator communicator;
    private final CollectiveKind kind;
    private final int bucket;
    private final long trainingStep;
    private final CountDownLatch done = new CountDownLatch(1);
    private final long startedAtNs = System.nanoTime();
    private volatile long finishedAtNs;
    private volatile CollectiveException failure;

    CollectiveHandle(final Communicator communicator, final CollectiveKind kind, final int bucket,
                     final long trainingStep) {
        this.communicator = communicator;
        this.kind = kind;
        this.bucket = bucket;
        this.trainingStep = trainingStep;
    }

    public CollectiveKind kind() {
        return kind;
    }

    /** The bucket this collective was started for, or -1. */
    public int bucket() {
        return bucket;
    }

    /** Whether the collective has finished, successfully or not. */
    public boolean isDone() {
        return done.getCount() == 0;
    }

    /**
     * Waits until the collective has finished; afterwards the buffer holds the result. Returns by the collective's
     * deadline at the latest.
     *
     * @throws CollectiveTimeoutException when a peer did not deliver; names the rank(s).
     * @throws CollectiveAbortedException when this communicator was aborted or closed, or this thread was
     *                                    interrupted while waiting (which aborts the communicator: a collective
     *                                    cannot be left half done; the interrupt flag stays set).
     */
    public void await() {
        try {
            while (!done.await(1, TimeUnit.SECONDS)) {
                communicator.checkAlive();
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            communicator.abort("rank " + communicator.rank() + "'s thread was interrupted while awaiting "
                + kind.label() + (bucket >= 0 ? " of bucket " + bucket : ""));
            final CollectiveException failed = failure;
            throw failed != null ? failed : new CollectiveAbortedException(kind, bucket, trainingStep, -1,
                communicator.rank(), "interrupted while awaiting");
        }
        final CollectiveException failed = failure;
        if (failed != null) {
            throw failed;
        }
    }

    /** {@link System#nanoTime()} when the collective was started (queued behind earlier ones). */
    public long startedAtNs() {
        return startedAtNs;
    }

    /** {@link System#nanoTime()} when it finished; 0 while it runs. */
    public long finishedAtNs() {
        return finishedAtNs;
    }

    /** The failure, once done and failed; null otherwise. */
    public CollectiveException failure() {
        return failure;
    }

    synchronized void complete() {
        finishedAtNs = System.nanoTime();
        done.countDown();
    }

    synchronized void fail(final CollectiveException exception) {
        if (done.getCount() != 0) {
            finishedAtNs = System.nanoTime();
            failure = exception;
            done.countDown();
        }
    }
}
