package dev.zeroshard.sharding.aeron;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The wire layout of one ring message, inside one unfragmented Aeron message. Every message starts with a
 * 32-byte header of eight little-endian ints; data messages carry a chunk of elements after it, control messages a
 * reason text.
 *
 * <pre>
 *  offset  DATA                         CONTROL
 *   0      type = 1                     type = 2
 *   4      epoch (communicator generation)
 *   8      opSeq (collective number on this communicator, from 1)
 *  12      step (ring step of the sender)
 *  16      chunk index within the step  origin rank (who reports)
 *  20      collective signature         suspect rank (who did not deliver, -1 none)
 *  24      element count                control kind ({@link ControlKind#code()})
 *  28      0                            bucket (-1 none)
 *  32      payload: elements in the     int reason length, then reason bytes (UTF-8)
 *          byte order of the machines
 * </pre>
 *
 * Payload elements travel in native order (all supported machines are little-endian); the header is
 * little-endian explicitly. A flyweight: {@link #wrap} it over a buffer and read or write in place; it allocates
 * nothing except in {@link #reason()}. Not thread-safe; one per thread.
 */
public final class RingFrameFlyweight {
    /** Header length, bytes; the payload starts here. */
    public static final int HEADER_LENGTH = 32;
    /** Type of a message carrying elements. */
    public static final int TYPE_DATA = 1;
    /** Type of a message reporting a failure or a departure. */
    public static final int TYPE_CONTROL = 2;
    /** Longest reason text kept in a control message, bytes. */
    public static final int MAX_REASON_LENGTH = 1024;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int TYPE_OFFSET = 0;
    private static final int EPOCH_OFFSET = 4;
    private static final int OP_SEQ_OFFSET = 8;
    private static final int STEP_OFFSET = 12;
    private static final int WORD4_OFFSET = 16;
    private static final int WORD5_OFFSET = 20;
    private static final int WORD6_OFFSET = 24;
    private static final int WORD7_OFFSET = 28;
    private static final int REASON_LENGTH_OFFSET = 32;
    private static final int REASON_OFFSET = 36;

    /** What a control message says. */
    public enum ControlKind {
        /** The origin's deadline passed; it waited for the suspect (or -1 when only its sends were stuck). */
        TIMEOUT_REPORT(1),
        /** The origin saw the suspect fail (its stream went away, or it reported so); the collective is lost. */
        PEER_FAILED(2),
        /** The origin's communicator was aborted (by its owner, an interrupt or a close in mid-collective). */
        ABORTED(3),
        /** The origin closed its communicator between collectives: no more messages will come from it. */
        LEFT(4);

        private final int code;

        ControlKind(final int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The kind with this wire code; throws naming the code when there is none. */
        public static ControlKind of(final int code) {
            for (final ControlKind kind : values()) {
                if (kind.code == code) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("unknown control kind code " + code);
        }
    }

    private MutableDirectBuffer mutableBuffer;
    private DirectBuffer buffer;
    private int offset;

    /** Points this flyweight at a message to read. */
    public RingFrameFlyweight wrap(final DirectBuffer buffer, final int offset) {
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return this;
    }

    /** Points this flyweight at a message to write. */
    public RingFrameFlyweight wrap(final MutableDirectBuffer buffer, final int offset) {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Writes a data header; the caller writes {@code elementCount} elements at {@link #payloadOffset()}. */
    public RingFrameFlyweight data(final int epoch, final int opSeq, final int step, final int chunk,
                                   final int signature, final int elementCount) {
        putHeader(TYPE_DATA, epoch, opSeq, step, chunk, signature, elementCount, 0);
        return this;
    }

    /** Writes a complete control message; returns its length in bytes. */
    public int control(final int epoch, final int opSeq, final int step, final int originRank, final int suspectRank,
                       final ControlKind kind, final int bucket, final String reason) {
        putHeader(TYPE_CONTROL, epoch, opSeq, step, originRank, suspectRank, kind.code(), bucket);
        final byte[] bytes = truncatedReason(reason);
        mutableBuffer.putInt(offset + REASON_LENGTH_OFFSET, bytes.length, ORDER);
        mutableBuffer.putBytes(offset + REASON_OFFSET, bytes);
        return REASON_OFFSET + bytes.length;
    }

    /** Length of a control message carrying {@code reason}, bytes. */
    public static int controlLength(final String reason) {
        return REASON_OFFSET + truncatedReason(reason).length;
    }

    public int type() {
        return buffer.getInt(offset + TYPE_OFFSET, ORDER);
    }

    public int epoch() {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER);
    }

    public int opSeq() {
        return buffer.getInt(offset + OP_SEQ_OFFSET, ORDER);
    }

    public int step() {
        return buffer.getInt(offset + STEP_OFFSET, ORDER);
    }

    /** DATA: chunk index within the step. */
    public int chunk() {
        return buffer.getInt(offset + WORD4_OFFSET, ORDER);
    }

    /** DATA: the signature of the collective (kind, element type, length, root), equal on every rank. */
    public int signature() {
        return buffer.getInt(offset + WORD5_OFFSET, ORDER);
    }

    /** DATA: number of elements in the payload. */
    public int elementCount() {
        return buffer.getInt(offset + WORD6_OFFSET, ORDER);
    }

    /** Absolute offset of the payload in the wrapped buffer. */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    /** CONTROL: the rank that reports. */
    public int originRank() {
        return buffer.getInt(offset + WORD4_OFFSET, ORDER);
    }

    /** CONTROL: the rank that did not deliver, or -1. */
    public int suspectRank() {
        return buffer.getInt(offset + WORD5_OFFSET, ORDER);
    }

    /** CONTROL: what is reported. */
    public ControlKind controlKind() {
        return ControlKind.of(buffer.getInt(offset + WORD6_OFFSET, ORDER));
    }

    /** CONTROL: the bucket of the collective, or -1. */
    public int bucket() {
        return buffer.getInt(offset + WORD7_OFFSET, ORDER);
    }

    /** CONTROL: the reason text (allocates). */
    public String reason() {
        final int length = buffer.getInt(offset + REASON_LENGTH_OFFSET, ORDER);
        final byte[] bytes = new byte[Math.max(0, Math.min(length, MAX_REASON_LENGTH))];
        buffer.getBytes(offset + REASON_OFFSET, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private void putHeader(final int type, final int epoch, final int opSeq, final int step, final int word4,
                           final int word5, final int word6, final int word7) {
        mutableBuffer.putInt(offset + TYPE_OFFSET, type, ORDER);
        mutableBuffer.putInt(offset + EPOCH_OFFSET, epoch, ORDER);
        mutableBuffer.putInt(offset + OP_SEQ_OFFSET, opSeq, ORDER);
        mutableBuffer.putInt(offset + STEP_OFFSET, step, ORDER);
        mutableBuffer.putInt(offset + WORD4_OFFSET, word4, ORDER);
        mutableBuffer.putInt(offset + WORD5_OFFSET, word5, ORDER);
        mutableBuffer.putInt(offset + WORD6_OFFSET, word6, ORDER);
        mutableBuffer.putInt(offset + WORD7_OFFSET, word7, ORDER);
    }

    private static byte[] truncatedReason(final String reason) {
        final byte[] bytes = (reason == null ? "" : reason).getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_REASON_LENGTH) {
            return bytes;
        }
        return Arrays.copyOf(bytes, MAX_REASON_LENGTH);
    }
}
