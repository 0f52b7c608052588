package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.collective.CollectiveHandle;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.sharding.collective.Partition;

/**
 * The few numbers of a step every rank needs from every other (its loss sum, its shard's sum of squared
 * gradients, its first non-finite tensor), exchanged bit for bit with one all-gather. Each 64-bit value travels as
 * four 16-bit integers held in floats, which every fp32 path carries exactly.
 */
final class StepExchange {
    static final int VALUES = 3;
    private static final int FLOATS_PER_VALUE = 4;
    private static final int PER_RANK = VALUES * FLOATS_PER_VALUE;

    private final Communicator comm;
    private final CommClock clock;
    private final float[] buffer;
    private final Partition partition;

    StepExchange(final Communicator comm, final CommClock clock) {
        this.comm = comm;
        this.clock = clock;
        this.buffer = new float[PER_RANK * comm.worldSize()];
        this.partition = Partition.even(buffer.length, comm.worldSize());
    }

    /** Shares {@code values} (VALUES longs) and returns every rank's, indexed [rank][value]. */
    long[][] exchange(final long... values) {
        if (values.length != VALUES) {
            throw new IllegalArgumentException(values.length + " values, expected " + VALUES);
        }
        final int base = comm.rank() * PER_RANK;
        for (int v = 0; v < VALUES; v++) {
            for (int part = 0; part < FLOATS_PER_VALUE; part++) {
                buffer[base + v * FLOATS_PER_VALUE + part] = (float) ((values[v] >>> (16 * part)) & 0xFFFF);
            }
        }
        final CollectiveHandle handle = clock.track(comm.startAllGather(-1, buffer, 0, buffer.length, partition));
        clock.await(handle);
        final long[][] all = new long[comm.worldSize()][VALUES];
        for (int rank = 0; rank < comm.worldSize(); rank++) {
            for (int v = 0; v < VALUES; v++) {
                long value = 0;
                for (int part = 0; part < FLOATS_PER_VALUE; part++) {
                    value |= ((long) buffer[rank * PER_RANK + v * FLOATS_PER_VALUE + part]) << (16 * part);
                }
                all[rank][v] = value;
            }
        }
        return all;
    }

    long bufferBytes() {
        return (long) Float.BYTES * buffer.length;
    }
}
