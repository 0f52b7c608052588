package dev.zeroshard.sharding.aeron;

import dev.zeroshard.protocol.config.ConfigException;
import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransportConfigTest {
    @Test
    void shouldConcludeWithTheDocumentedDefaultsWhenNothingIsSet() {
        final TransportConfig config = new TransportConfig().conclude();
        assertThat(config.driverMode()).isEqualTo(TransportConfig.DriverMode.EMBEDDED);
        assertThat(config.threadingMode()).isEqualTo(ThreadingMode.INVOKER);
        assertThat(config.termLength()).isEqualTo(4 * 1024 * 1024);
        assertThat(config.mtuLength()).isEqualTo(65504);
        assertThat(config.maxMessagePayloadLength()).isEqualTo(65472);
        assertThat(config.imageLivenessTimeoutNs()).isEqualTo(TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void shouldReportEveryViolatedRuleWithItsValueWhenConcluding() {
        final TransportConfig config = new TransportConfig()
            .termLength(3_000_000)
            .mtuLength(65536)
            .socketBufferLength(1024)
            .clientLivenessTimeoutNs(0)
            .idleStrategy("spin-forever");
        assertThatThrownBy(config::conclude)
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("zeroshard.aeron.term.length=3000000: must be a power of two")
            .hasMessageContaining("zeroshard.aeron.mtu.length=65536: must be a multiple of 32 from 4096 to "
                + "MAX_MTU_LENGTH=65504")
            .hasMessageContaining("zeroshard.aeron.socket.buffer.length=1024: must hold at least one frame")
            .hasMessageContaining("zeroshard.aeron.client.liveness.timeout=0ns: must be positive")
            .hasMessageContaining("zeroshard.aeron.idle.strategy=spin-forever");
    }

    @Test
    void shouldRefuseAnMtuAboveTheMaximumMessageLengthWhenTheTermIsSmall() {
        assertThatThrownBy(() -> new TransportConfig().termLength(256 * 1024).receiverWindowLength(65536)
            .conclude())
            .hasMessageContaining("must not exceed the maximum message length termLength/8=32768");
    }

    @Test
    void shouldReadSystemPropertiesWhenSet() {
        System.setProperty(TransportConfig.TERM_LENGTH_PROP_NAME, "16m");
        System.setProperty(TransportConfig.IMAGE_LIVENESS_TIMEOUT_PROP_NAME, "750ms");
        System.setProperty(TransportConfig.THREADING_PROP_NAME, "shared");
        try {
            final TransportConfig config = new TransportConfig();
            assertThat(config.termLength()).isEqualTo(16 * 1024 * 1024);
            assertThat(config.imageLivenessTimeoutNs()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(750));
            assertThat(config.threadingMode()).isEqualTo(ThreadingMode.SHARED);
        } finally {
            System.clearProperty(TransportConfig.TERM_LENGTH_PROP_NAME);
            System.clearProperty(TransportConfig.IMAGE_LIVENESS_TIMEOUT_PROP_NAME);
            System.clearProperty(TransportConfig.THREADING_PROP_NAME);
        }
    }

    @Test
    void shouldNameThePropertyWhenAPropertyIsMalformed() {
        System.setProperty(TransportConfig.MTU_LENGTH_PROP_NAME, "lots");
        try {
            assertThatThrownBy(TransportConfig::new).isInstanceOf(ConfigException.class)
                .hasMessageContaining("zeroshard.aeron.mtu.length=lots");
        } finally {
            System.clearProperty(TransportConfig.MTU_LENGTH_PROP_NAME);
        }
    }

    @Test
    void shouldRefuseChangesWhenConcluded() {
        final TransportConfig config = new TransportConfig().conclude();
        assertThatThrownBy(() -> config.termLength(1 << 20)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldParseAeronNotationsWhenReadingSizesAndDurations() {
        assertThat(PropertyValues.parseSize("1MiB")).isEqualTo(1L << 20);
        assertThat(PropertyValues.parseSize("64k")).isEqualTo(65536);
        assertThat(PropertyValues.parseSize("256MB")).isEqualTo(256L << 20);
        assertThat(PropertyValues.parseSize("123")).isEqualTo(123);
        assertThat(PropertyValues.parseDurationNs("2s")).isEqualTo(2_000_000_000L);
        assertThat(PropertyValues.parseDurationNs("100us")).isEqualTo(100_000L);
        assertThat(PropertyValues.parseDurationNs("42")).isEqualTo(42L);
    }
}
