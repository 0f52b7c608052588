package dev.zeroshard.sharding.aeron;

/** The medium between neighbouring ranks of a ring. */
public enum TransportKind {
    /** {@code aeron:ipc}: shared memory; every rank's client must use the same media driver. */
    IPC,
    /** {@code aeron:udp} unicast to each rank's host and port; works within a host and across hosts. */
    UDP
}
