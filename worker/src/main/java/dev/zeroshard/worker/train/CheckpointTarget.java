package dev.zeroshard.worker.train;

import dev.zeroshard.checkpoints.sharded.Checkpoint;
import dev.zeroshard.checkpoints.sharded.ShardSnapshot;

import java.io.IOException;

/** A training loop's optimizer state as checkpoints see it: this rank's shard, saved and restored. */
public interface CheckpointTarget {
    /**
     * A host copy of this rank's shard of master weights and moments (the only part of a save on this thread),
     * copied into {@code into}'s arrays when it is given (a previous snapshot the writer is done with), so that
     * saving does not allocate.
     */
    ShardSnapshot snapshot(ShardSnapshot into);

    /** Optimizer steps taken. */
    long step();

    /** Adam's step count. */
    long optimizerStep();

    /**
     * Continues from {@code checkpoint}, whatever world size and stage wrote it: reads this rank's range of master
     * weights and moments, the step counts, and brings the compute weights up to date (a collective where the
     * stage needs one: every rank calls it).
     */
    void restore(Checkpoint checkpoint) throws IOException;
}
