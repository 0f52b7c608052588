package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.aeron.RingSpec;

import java.util.Objects;

/**
 * What one rank needs to join a communicator: its rank, the communicator's generation and the ring of every
 * rank's endpoint. The control plane hands every rank the same ring and epoch; tests build it directly.
 *
 * @param rank  this rank, 0 to worldSize - 1.
 * @param epoch the communicator's generation; messages of another epoch on a reused stream are ignored. A new
 *              communicator for the survivors of a failure takes a new epoch and fresh stream ids or ports.
 * @param ring  every rank's endpoint.
 */
public record CommSpec(int rank, int epoch, RingSpec ring) {
    public CommSpec {
        Objects.requireNonNull(ring, "ring");
        if (rank < 0 || rank >= ring.worldSize()) {
            throw new IllegalArgumentException("rank=" + rank + " must lie in 0.." + (ring.worldSize() - 1));
        }
    }

    public int worldSize() {
        return ring.worldSize();
    }
}
