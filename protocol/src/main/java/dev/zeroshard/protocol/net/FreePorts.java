package dev.zeroshard.protocol.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports to hand to a process that binds them later (a coordinator's HTTP port, a rank's Aeron endpoint).
 *
 * <p>A port the kernel chose for {@code bind(0)} comes from its ephemeral range, and so does the source port of
 * every outgoing connection and every unbound UDP sender on the machine: between the moment a port is found free
 * and the moment its owner binds it, another socket may be given that very port ("Address already in use"). These
 * ports are chosen outside the ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}), where the kernel
 * never hands one out by itself; only a process that names the port can take it. Where no such port is free, the
 * kernel's choice is the fallback.
 */
public final class FreePorts {
    /** The lowest port handed out: above the well-known and the usual fixed service ports. */
    static final int LOWEST = 10_000;
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int[] DEFAULT_EPHEMERAL = {32768, 60999};
    private static final int ATTEMPTS = 200;

    private FreePorts() {
    }

    /** A TCP port on every interface that was free just now, outside the ephemeral range where possible. */
    public static int tcp() {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(candidate()));
                return socket.getLocalPort();
            } catch (final IOException taken) {
                // try another
            }
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException ex) {
            throw new UncheckedIOException("no free TCP port", ex);
        }
    }

    /** {@code count} distinct UDP ports on {@code address} that were free just now. */
    public static List<Integer> udp(final InetAddress address, final int count) {
        final List<DatagramSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(udpSocket(address));
            }
            final List<Integer> ports = new ArrayList<>();
            sockets.forEach(socket -> ports.add(socket.getLocalPort()));
            return ports;
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }

    private static DatagramSocket udpSocket(final InetAddress address) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                return new DatagramSocket(candidate(), address);
            } catch (final SocketException taken) {
                // try another
            }
        }
        try {
            return new DatagramSocket(0, address);
        } catch (final SocketException ex) {
            throw new UncheckedIOException("no free UDP port on " + address, ex);
        }
    }

    /** A random port below the ephemeral range, or above it where the room below is too small. */
    private static int candidate() {
        final int[] ephemeral = ephemeralRange();
        final int below = ephemeral[0] - LOWEST;
        final int above = 65535 - ephemeral[1];
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        if (below >= 1000 || below >= above) {
            return below > 0 ? LOWEST + random.nextInt(below) : 0;
        }
        return ephemeral[1] + 1 + random.nextInt(above);
    }

    /** The kernel's ephemeral port range, {low, high}; Linux's default where it cannot be read. */
    static int[] ephemeralRange() {
        try {
            final String[] bounds = Files.readString(EPHEMERAL_RANGE).trim().split("\\s+");
            final int low = Integer.parseInt(bounds[0]);
            final int high = Integer.parseInt(bounds[1]);
            return low >= 1 && high >= low && high <= 65535 ? new int[] {low, high} : DEFAULT_EPHEMERAL.clone();
        } catch (final IOException | RuntimeException unreadable) {
            return DEFAULT_EPHEMERAL.clone();
        }
    }
}
