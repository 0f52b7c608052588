package dev.zeroshard.sharding.aeron;

import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;

/**
 * Reads ring messages from the previous rank and hands them, decoded, to a {@link Listener}. Messages of another
 * communicator generation (a different epoch on a reused stream) are dropped. The listener's answer steers the
 * stream: {@code ABORT} leaves a message in place to be read again later (a collective this rank has not begun),
 * {@code BREAK} stops the poll after it. Single-threaded: only the owning duty cycle may poll.
 */
public final class RingFrameAdapter implements ControlledFragmentHandler, AutoCloseable {
    /** Receives decoded messages; the flyweight is only valid during the call. */
    public interface Listener {
        /** A chunk of elements: {@code elementCount} elements from {@code payloadOffset} of {@code buffer}. */
        Action onData(RingFrameFlyweight frame, DirectBuffer buffer, int payloadOffset, int payloadLength);

        /** A control message. */
        Action onControl(RingFrameFlyweight frame);
    }

    private final Subscription subscription;
    private final int epoch;
    private final Listener listener;
    private final RingFrameFlyweight flyweight = new RingFrameFlyweight();
    private long droppedMessages;

    public RingFrameAdapter(final Subscription subscription, final int epoch, final Listener listener) {
        this.subscription = subscription;
        this.epoch = epoch;
        this.listener = listener;
    }

    /** Polls up to {@code fragmentLimit} messages; returns how many were read. */
    public int poll(final int fragmentLimit) {
        return subscription.controlledPoll(this, fragmentLimit);
    }

    @Override
    public Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        if (length < RingFrameFlyweight.HEADER_LENGTH) {
            droppedMessages++;
            return Action.CONTINUE;
        }
        flyweight.wrap(buffer, offset);
        if (flyweight.epoch() != epoch) {
            droppedMessages++;
            return Action.CONTINUE;
        }
        final int type = flyweight.type();
        if (type == RingFrameFlyweight.TYPE_DATA) {
            return listener.onData(flyweight, buffer, flyweight.payloadOffset(),
                length - RingFrameFlyweight.HEADER_LENGTH);
        }
        if (type == RingFrameFlyweight.TYPE_CONTROL) {
            return listener.onControl(flyweight);
        }
        droppedMessages++;
        return Action.CONTINUE;
    }

    /** Whether a stream from the previous rank is there. */
    public boolean isConnected() {
        return subscription.isConnected();
    }

    /** Messages dropped because they were too short, of another epoch or of an unknown type. */
    public long droppedMessages() {
        return droppedMessages;
    }

    /** The subscription's channel and stream, for messages. */
    public String describe() {
        return subscription.channel() + " stream " + subscription.streamId();
    }

    @Override
    public void close() {
        subscription.close();
    }
}
