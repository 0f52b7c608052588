package dev.zeroshard.protocol.cluster;

/** Marker of every message that crosses JVMs on the control plane: bound to {@link ClusterProtocolSerializer}. */
public interface ClusterMessage {
}
