package dev.zeroshard.worker.agent;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The one rank a worker JVM runs, if any. It outlives the actor system: when a worker loses the cluster (its
 * coordinator died) it rejoins with a new actor system while the rank it was running goes on, and the new agent
 * must know the worker is still busy.
 */
public final class WorkerSlot {
    private final AtomicReference<RankRun> run = new AtomicReference<>();

    RankRun current() {
        return run.get();
    }

    void occupy(final RankRun rankRun) {
        run.set(rankRun);
    }

    /** Frees the slot if {@code rankRun} still holds it. */
    void release(final RankRun rankRun) {
        run.compareAndSet(rankRun, null);
    }
}
