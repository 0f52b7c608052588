package dev.zeroshard.sharding.aeron;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class RingFrameFlyweightTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final RingFrameFlyweight flyweight = new RingFrameFlyweight();

    @Test
    void shouldReadBackEveryFieldWhenADataHeaderIsWritten() {
        flyweight.wrap(buffer, 64).data(3, 17, 5, 9, 0xCAFE, 16360);
        final RingFrameFlyweight reader = new RingFrameFlyweight().wrap((DirectBuffer) buffer, 64);
        assertThat(reader.type()).isEqualTo(RingFrameFlyweight.TYPE_DATA);
        assertThat(reader.epoch()).isEqualTo(3);
        assertThat(reader.opSeq()).isEqualTo(17);
        assertThat(reader.step()).isEqualTo(5);
        assertThat(reader.chunk()).isEqualTo(9);
        assertThat(reader.signature()).isEqualTo(0xCAFE);
        assertThat(reader.elementCount()).isEqualTo(16360);
        assertThat(reader.payloadOffset()).isEqualTo(64 + RingFrameFlyweight.HEADER_LENGTH);
    }

    @Test
    void shouldCarryTheReasonWhenAControlMessageIsWritten() {
        final int length = flyweight.wrap(buffer, 0).control(1, 4, 2, 3, 1,
            RingFrameFlyweight.ControlKind.TIMEOUT_REPORT, 12, "rank 3 gave up");
        assertThat(length).isEqualTo(RingFrameFlyweight.controlLength("rank 3 gave up"));
        final RingFrameFlyweight reader = new RingFrameFlyweight().wrap((DirectBuffer) buffer, 0);
        assertThat(reader.type()).isEqualTo(RingFrameFlyweight.TYPE_CONTROL);
        assertThat(reader.originRank()).isEqualTo(3);
        assertThat(reader.suspectRank()).isEqualTo(1);
        assertThat(reader.controlKind()).isEqualTo(RingFrameFlyweight.ControlKind.TIMEOUT_REPORT);
        assertThat(reader.bucket()).isEqualTo(12);
        assertThat(reader.reason()).isEqualTo("rank 3 gave up");
    }

    @Test
    void shouldTruncateTheReasonWhenItIsTooLong() {
        final String reason = "x".repeat(5000);
        assertThat(RingFrameFlyweight.controlLength(reason))
            .isEqualTo(36 + RingFrameFlyweight.MAX_REASON_LENGTH);
    }
}
