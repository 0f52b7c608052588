package dev.zeroshard.sharding.aeron;

import java.util.Objects;

/**
 * Where one rank receives its ring traffic: the host and UDP port its subscription binds (unused over IPC) and
 * the stream id that tells its stream apart from every other stream on the same driver or port.
 *
 * @param host     host name or address the rank's previous neighbour sends to (UDP); ignored for IPC.
 * @param port     UDP port, 1 to 65535; 0 for IPC.
 * @param streamId Aeron stream id of the data, unique per rank and per communicator generation on a shared
 *                 driver, 0 to 2^30 - 1; failure reports travel on {@link #controlStreamId()} beside it.
 */
public record RankEndpoint(String host, int port, int streamId) {
    /** Set in a data stream id to get its control stream id. */
    public static final int CONTROL_STREAM_BIT = 1 << 30;

    public RankEndpoint {
        Objects.requireNonNull(host, "host");
        if (streamId < 0 || streamId >= CONTROL_STREAM_BIT) {
            throw new IllegalArgumentException("streamId=" + streamId + " must lie in 0.." + (CONTROL_STREAM_BIT - 1)
                + " (the control stream sets bit 30)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port=" + port + " must lie in 0..65535 (0 for IPC)");
        }
    }

    /**
     * A UDP endpoint from {@code host:port} (the form ranks are named in on command lines and in the cluster
     * protocol).
     *
     * @throws IllegalArgumentException naming the text when it is not {@code host:port}.
     */
    public static RankEndpoint parse(final String hostPort, final int streamId) {
        final int colon = hostPort.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException("no port");
            }
            return new RankEndpoint(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)),
                streamId);
        } catch (final NumberFormatException ex) {
            throw new IllegalArgumentException("'" + hostPort + "' is not HOST:PORT", ex);
        }
    }

    /** {@code host:port}, as {@link #parse} reads it. */
    public String hostPort() {
        return host + ":" + port;
    }

    /** An IPC endpoint: only the stream id matters. */
    public static RankEndpoint ipc(final int streamId) {
        return new RankEndpoint("localhost", 0, streamId);
    }

    /**
     * The stream of this rank's failure reports: the data stream id with bit 30 set. Reports travel apart from the
     * data so that a backlog of data never holds them up.
     */
    public int controlStreamId() {
        return streamId | CONTROL_STREAM_BIT;
    }

    /** {@code host:port}, as an Aeron UDP endpoint. */
    public String hostAndPort() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
