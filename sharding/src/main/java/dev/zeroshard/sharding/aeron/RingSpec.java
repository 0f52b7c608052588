package dev.zeroshard.sharding.aeron;

import dev.zeroshard.protocol.net.FreePorts;
import io.aeron.ChannelUriStringBuilder;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The ring of a communicator: one endpoint per rank, in rank order. Rank r receives on its own endpoint and
 * publishes to the endpoint of rank (r + 1) mod N, two streams each way: the data (with departures, in order
 * after it) and the control stream of failure reports, which must never wait behind data. The control plane hands it out; tests and benchmarks build it
 * with {@link #ipc} or {@link #udpLoopback}.
 *
 * @param kind      the medium between neighbours.
 * @param endpoints one per rank; index = rank.
 */
public record RingSpec(TransportKind kind, List<RankEndpoint> endpoints) {
    private static final int CONTROL_TERM_LENGTH = 64 * 1024;
    private static final int CONTROL_MTU_LENGTH = 4096;

    public RingSpec {
        Objects.requireNonNull(kind, "kind");
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a ring needs at least one rank");
        }
        final Set<String> seen = new HashSet<>();
        for (int rank = 0; rank < endpoints.size(); rank++) {
            final RankEndpoint endpoint = endpoints.get(rank);
            final String key = kind == TransportKind.IPC
                ? Integer.toString(endpoint.streamId())
                : endpoint.hostAndPort() + "/" + endpoint.streamId();
            if (!seen.add(key)) {
                throw new IllegalArgumentException("rank " + rank + " shares its endpoint " + key
                    + " with an earlier rank; every rank needs its own " + (kind == TransportKind.IPC
                    ? "stream id over IPC" : "host:port and stream id"));
            }
            if (kind == TransportKind.UDP && endpoint.port() == 0) {
                throw new IllegalArgumentException("rank " + rank + ": UDP endpoint needs a port, got 0");
            }
        }
    }

    /** N ranks over IPC on one driver, with stream ids {@code firstStreamId}, {@code firstStreamId + 1}, .... */
    public static RingSpec ipc(final int worldSize, final int firstStreamId) {
        final RankEndpoint[] endpoints = new RankEndpoint[worldSize];
        for (int rank = 0; rank < worldSize; rank++) {
            endpoints[rank] = RankEndpoint.ipc(firstStreamId + rank);
        }
        return new RingSpec(TransportKind.IPC, List.of(endpoints));
    }

    /** N ranks over UDP, each at {@code host:port} (rank order), one stream id. */
    public static RingSpec udp(final List<String> hostPorts, final int streamId) {
        return new RingSpec(TransportKind.UDP, hostPorts.stream().map(e -> RankEndpoint.parse(e, streamId)).toList());
    }

    /** N ranks over UDP on 127.0.0.1, ports {@code firstPort}, {@code firstPort + 1}, ..., one stream id. */
    public static RingSpec udpLoopback(final int worldSize, final int firstPort, final int streamId) {
        final RankEndpoint[] endpoints = new RankEndpoint[worldSize];
        for (int rank = 0; rank < worldSize; rank++) {
            endpoints[rank] = new RankEndpoint("127.0.0.1", firstPort + rank, streamId);
        }
        return new RingSpec(TransportKind.UDP, List.of(endpoints));
    }

    /**
     * N ranks over UDP on 127.0.0.1, each on a port that was free a moment ago, one stream
     * id: for benchmarks and tests on one host. The ports lie outside the kernel's ephemeral range
     * ({@link FreePorts}), so only a process that names one can take it before the ring binds it.
     */
    public static RingSpec udpLoopbackOnFreePorts(final int worldSize, final int streamId) {
        final List<RankEndpoint> endpoints = new ArrayList<>();
        for (final int port : FreePorts.udp(InetAddress.getLoopbackAddress(), worldSize)) {
            endpoints.add(new RankEndpoint("127.0.0.1", port, streamId));
        }
        return new RingSpec(TransportKind.UDP, endpoints);
    }

    public int worldSize() {
        return endpoints.size();
    }

    /** The rank that {@code rank} publishes to. */
    public int next(final int rank) {
        return (rank + 1) % endpoints.size();
    }

    /** The rank that {@code rank} receives from. */
    public int previous(final int rank) {
        return (rank + endpoints.size() - 1) % endpoints.size();
    }

    /** The channel {@code rank} subscribes to (its own endpoint). */
    public String subscriptionChannel(final int rank, final TransportConfig config) {
        final RankEndpoint endpoint = endpoints.get(rank);
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder();
        if (kind == TransportKind.IPC) {
            return builder.media("ipc").build();
        }
        return builder.media("udp")
            .endpoint(endpoint.hostAndPort())
            .socketRcvbufLength(config.socketBufferLength())
            .receiverWindowLength(config.receiverWindowLength())
            .build();
    }

    /** The channel {@code rank} publishes on (the next rank's endpoint). */
    public String publicationChannel(final int rank, final TransportConfig config) {
        final RankEndpoint endpoint = endpoints.get(next(rank));
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .termLength(config.termLength())
            .mtu(config.mtuLength());
        if (kind == TransportKind.IPC) {
            return builder.media("ipc").build();
        }
        return builder.media("udp")
            .endpoint(endpoint.hostAndPort())
            .socketSndbufLength(config.socketBufferLength())
            .build();
    }

    /**
     * The channel {@code rank} publishes failure reports on: the next rank's endpoint again, with the smallest
     * term (64 KiB) and an MTU of 4 KiB, plenty for a report.
     */
    public String controlPublicationChannel(final int rank, final TransportConfig config) {
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .termLength(CONTROL_TERM_LENGTH)
            .mtu(CONTROL_MTU_LENGTH);
        if (kind == TransportKind.IPC) {
            return builder.media("ipc").build();
        }
        return builder.media("udp").endpoint(endpoints.get(next(rank)).hostAndPort()).build();
    }

    /** The stream id {@code rank} subscribes to. */
    public int subscriptionStreamId(final int rank) {
        return endpoints.get(rank).streamId();
    }

    /** The stream id {@code rank} publishes on. */
    public int publicationStreamId(final int rank) {
        return endpoints.get(next(rank)).streamId();
    }

    /** The control stream id {@code rank} subscribes to (failure reports from the previous rank). */
    public int controlSubscriptionStreamId(final int rank) {
        return endpoints.get(rank).controlStreamId();
    }

    /** The control stream id {@code rank} publishes failure reports on. */
    public int controlPublicationStreamId(final int rank) {
        return endpoints.get(next(rank)).controlStreamId();
    }
}
