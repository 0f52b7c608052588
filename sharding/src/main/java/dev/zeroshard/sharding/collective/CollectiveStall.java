package dev.zeroshard.sharding.collective;

import java.util.concurrent.TimeUnit;

/**
 * A collective that has received nothing for a while: what it is, and the rank it waits for (the previous rank of
 * the ring, which feeds it). Reported before any deadline fires, so a slow or stuck rank is named while there is
 * still time to look at it.
 *
 * @param waitingOn the rank that has not sent for {@code waitedNs}.
 */
public record CollectiveStall(CollectiveKind kind, int bucket, int rank, int waitingOn, long waitedNs) {
    /** One line: "rank 2 has waited 6.0 s for rank 1 in reducescatter of bucket 3". */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "rank %d has waited %.1f s for rank %d in %s%s", rank,
            waitedNs / (double) TimeUnit.SECONDS.toNanos(1), waitingOn, kind.label(),
            bucket >= 0 ? " of bucket " + bucket : "");
    }
}
