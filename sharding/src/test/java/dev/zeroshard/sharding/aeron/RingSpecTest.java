package dev.zeroshard.sharding.aeron;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RingSpecTest {
    private final TransportConfig config = new TransportConfig().conclude();

    @Test
    void shouldPublishToTheNextRanksEndpointWhenUdp() {
        final RingSpec ring = RingSpec.udpLoopback(3, 40100, 9);
        assertThat(ring.next(2)).isZero();
        assertThat(ring.previous(0)).isEqualTo(2);
        assertThat(ring.publicationChannel(2, config)).startsWith("aeron:udp?")
            .contains("endpoint=127.0.0.1:40100").contains("mtu=65504").contains("term-length=4194304");
        assertThat(ring.subscriptionChannel(0, config)).contains("endpoint=127.0.0.1:40100")
            .contains("rcv-wnd=2097152");
        assertThat(ring.publicationStreamId(2)).isEqualTo(9);
    }

    @Test
    void shouldGiveEveryRankItsOwnStreamWhenIpc() {
        final RingSpec ring = RingSpec.ipc(4, 100);
        assertThat(ring.subscriptionStreamId(3)).isEqualTo(103);
        assertThat(ring.publicationStreamId(3)).isEqualTo(100);
        assertThat(ring.publicationChannel(1, config)).startsWith("aeron:ipc?").contains("mtu=65504");
    }

    @Test
    void shouldRefuseTwoRanksOnOneEndpointWhenBuilt() {
        assertThatThrownBy(() -> new RingSpec(TransportKind.IPC, List.of(RankEndpoint.ipc(5), RankEndpoint.ipc(5))))
            .hasMessageContaining("rank 1 shares its endpoint 5 with an earlier rank");
        assertThatThrownBy(() -> new RingSpec(TransportKind.UDP, List.of(new RankEndpoint("h", 0, 1))))
            .hasMessageContaining("needs a port");
    }
}
