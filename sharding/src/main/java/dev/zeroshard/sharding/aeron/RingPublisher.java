package dev.zeroshard.sharding.aeron;

import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;

/**
 * Sends ring messages to the next rank over one exclusive publication. Data goes straight into the log buffer
 * with {@link #claimData} and {@link #commit()} (the caller writes the elements in place, no staging copy); control
 * messages are short and are offered from a small direct buffer.
 *
 * <p>Results are Aeron's: a positive position on success, or {@link Publication#BACK_PRESSURED},
 * {@link Publication#ADMIN_ACTION} (try again), {@link Publication#NOT_CONNECTED}, {@link Publication#CLOSED},
 * {@link Publication#MAX_POSITION_EXCEEDED}. Single-threaded: only the owning duty cycle may call it.
 */
public final class RingPublisher implements AutoCloseable {
    private final ExclusivePublication publication;
    private final BufferClaim bufferClaim = new BufferClaim();
    private final RingFrameFlyweight flyweight = new RingFrameFlyweight();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(
        RingFrameFlyweight.controlLength("x".repeat(RingFrameFlyweight.MAX_REASON_LENGTH))));
    private final int maxPayloadBytes;
    private int senderPositionCounterId = CountersReader.NULL_COUNTER_ID;

    /** @param publication to the next rank; its messages must fit {@link ExclusivePublication#maxPayloadLength()}. */
    public RingPublisher(final ExclusivePublication publication) {
        this.publication = publication;
        this.maxPayloadBytes = publication.maxPayloadLength() - RingFrameFlyweight.HEADER_LENGTH;
    }

    /** Largest element payload of one data message, bytes. */
    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /**
     * Claims room for a data message with {@code payloadBytes} of elements and writes its header. On success
     * (a positive result) write the elements into {@link #buffer()} from {@link #payloadOffset()}, then
     * {@link #commit()}.
     */
    public long claimData(final int epoch, final int opSeq, final int step, final int chunk, final int signature,
                          final int elementCount, final int payloadBytes) {
        final long result = publication.tryClaim(RingFrameFlyweight.HEADER_LENGTH + payloadBytes, bufferClaim);
        if (result > 0) {
            flyweight.wrap(bufferClaim.buffer(), bufferClaim.offset())
                .data(epoch, opSeq, step, chunk, signature, elementCount);
        }
        return result;
    }

    /** The log buffer holding the claimed message. */
    public MutableDirectBuffer buffer() {
        return bufferClaim.buffer();
    }

    /** Where the claimed message's elements go in {@link #buffer()}. */
    public int payloadOffset() {
        return bufferClaim.offset() + RingFrameFlyweight.HEADER_LENGTH;
    }

    /** Publishes the claimed message. */
    public void commit() {
        bufferClaim.commit();
    }

    /** Gives the claimed space back as padding, when filling it failed. */
    public void abortClaim() {
        bufferClaim.abort();
    }

    /** Offers a control message; same results as {@link #claimData}. */
    public long offerControl(final int epoch, final int opSeq, final int step, final int originRank,
                             final int suspectRank, final RingFrameFlyweight.ControlKind kind, final int bucket,
                             final String reason) {
        final int length = flyweight.wrap(controlBuffer, 0)
            .control(epoch, opSeq, step, originRank, suspectRank, kind, bucket, reason);
        return publication.offer(controlBuffer, 0, length);
    }

    /** Whether the next rank's subscription is there (IPC) or its status messages arrive (UDP). */
    public boolean isConnected() {
        return publication.isConnected();
    }

    public boolean isClosed() {
        return publication.isClosed();
    }

    /** Bytes written into the stream so far. */
    public long position() {
        return publication.position();
    }

    /**
     * Whether the driver has sent everything written so far: always true over IPC (the subscriber reads the log
     * itself); over UDP, once the sender position has reached {@link #position()}. Checked before an embedded
     * driver is closed, so that the last messages are not lost with it.
     */
    public boolean isFlushed(final CountersReader counters) {
        if (publication.channel().startsWith("aeron:ipc")) {
            return true;
        }
        if (senderPositionCounterId == CountersReader.NULL_COUNTER_ID) {
            senderPositionCounterId = findSenderPositionCounter(counters);
            if (senderPositionCounterId == CountersReader.NULL_COUNTER_ID) {
                return !publication.isConnected();
            }
        }
        if (counters.getCounterState(senderPositionCounterId) != CountersReader.RECORD_ALLOCATED) {
            return true;
        }
        return counters.getCounterValue(senderPositionCounterId) >= publication.position();
    }

    /** The publication's channel and stream, for messages. */
    public String describe() {
        return publication.channel() + " stream " + publication.streamId();
    }

    /** Aeron's name for an offer result. */
    public static String resultName(final long result) {
        if (result > 0) {
            return "OK";
        }
        if (result == Publication.BACK_PRESSURED) {
            return "BACK_PRESSURED";
        }
        if (result == Publication.NOT_CONNECTED) {
            return "NOT_CONNECTED";
        }
        if (result == Publication.ADMIN_ACTION) {
            return "ADMIN_ACTION";
        }
        if (result == Publication.CLOSED) {
            return "CLOSED";
        }
        if (result == Publication.MAX_POSITION_EXCEEDED) {
            return "MAX_POSITION_EXCEEDED";
        }
        return "UNKNOWN(" + result + ")";
    }

    @Override
    public void close() {
        publication.close();
    }

    private int findSenderPositionCounter(final CountersReader counters) {
        final long registrationId = publication.registrationId();
        final int[] found = {CountersReader.NULL_COUNTER_ID};
        counters.forEach((counterId, typeId, keyBuffer, label) -> {
            if (typeId == AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID
                && counters.getCounterRegistrationId(counterId) == registrationId) {
                found[0] = counterId;
            }
        });
        return found[0];
    }
}
