package dev.zeroshard.worker.zero;

/**
 * Communication of one step.
 *
 * @param waitSeconds time the training thread waited for collectives (communication not hidden by compute).
 * @param busySeconds time the ring spent on the step's collectives.
 */
public record CommStats(double waitSeconds, double busySeconds) {
    /** The share of communication hidden behind compute: 1 - wait / busy (1 when there was none). */
    public double overlapFraction() {
        if (busySeconds <= 0) {
            return 1.0;
        }
        return Math.max(0.0, Math.min(1.0, 1.0 - waitSeconds / busySeconds));
    }
}
