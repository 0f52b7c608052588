package dev.zeroshard.worker.train;

/** Training stopped because continuing would write garbage (a NaN loss, a non-finite gradient). */
public final class TrainingStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingStoppedException(final String message) {
        super(message);
    }
}
