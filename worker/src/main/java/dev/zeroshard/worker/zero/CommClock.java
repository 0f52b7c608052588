package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.collective.CollectiveHandle;

import java.util.ArrayList;
import java.util.List;

/**
 * The communication time of one step: how long the training thread sat in {@code await} (time not hidden behind
 * compute) and how long the ring was busy. Collectives run one after another, so a collective is busy from the
 * later of its start and its predecessor's end until it finishes.
 */
final class CommClock {
    private final List<CollectiveHandle> handles = new ArrayList<>();
    private long waitNs;

    /** Starts a new step. */
    void reset() {
        handles.clear();
        waitNs = 0;
    }

    /** Counts {@code handle} in this step's busy time; returns it. */
    CollectiveHandle track(final CollectiveHandle handle) {
        handles.add(handle);
        return handle;
    }

    /** Awaits {@code handle}, counting the wait. */
    void await(final CollectiveHandle handle) {
        final long start = System.nanoTime();
        try {
            handle.await();
        } finally {
            waitNs += System.nanoTime() - start;
        }
    }

    long waitNs() {
        return waitNs;
    }

    /** Nanoseconds the ring spent on this step's collectives (those finished). */
    long busyNs() {
        long busy = 0;
        long previousEnd = Long.MIN_VALUE;
        for (final CollectiveHandle handle : handles) {
            final long end = handle.finishedAtNs();
            if (end == 0) {
                continue;
            }
            final long start = Math.max(handle.startedAtNs(), previousEnd);
            busy += Math.max(0, end - start);
            previousEnd = end;
        }
        return busy;
    }
}
