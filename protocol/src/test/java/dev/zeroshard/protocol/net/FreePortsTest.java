package dev.zeroshard.protocol.net;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FreePortsTest {
    @Test
    void shouldHandOutTcpPortsOutsideTheEphemeralRangeThatCanBeBound() throws IOException {
        final int[] ephemeral = FreePorts.ephemeralRange();
        for (int i = 0; i < 20; i++) {
            final int port = FreePorts.tcp();
            assertThat(port).isBetween(FreePorts.LOWEST, 65535)
                .matches(p -> p < ephemeral[0] || p > ephemeral[1], "outside " + ephemeral[0] + "-" + ephemeral[1]);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(port));
            }
        }
    }

    @Test
    void shouldHandOutDistinctUdpPortsOutsideTheEphemeralRangeThatCanBeBound() throws IOException {
        final int[] ephemeral = FreePorts.ephemeralRange();
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final List<Integer> ports = FreePorts.udp(loopback, 8);

        assertThat(ports).hasSize(8).doesNotHaveDuplicates()
            .allMatch(p -> p >= FreePorts.LOWEST && (p < ephemeral[0] || p > ephemeral[1]));
        for (final int port : ports) {
            new DatagramSocket(port, loopback).close();
        }
    }
}
