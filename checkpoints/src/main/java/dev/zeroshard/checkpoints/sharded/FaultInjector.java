package dev.zeroshard.checkpoints.sharded;

import java.io.IOException;

/** Called at every {@link CommitPoint}: a test throws to simulate a crash there. */
@FunctionalInterface
public interface FaultInjector {
    FaultInjector NONE = (point, rank) -> { };

    /** Reached {@code point} (for {@code rank}, or -1 for the commit). */
    void reached(CommitPoint point, int rank) throws IOException;
}
