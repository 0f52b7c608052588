package dev.zeroshard.sharding.collective;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * The caller's buffer range as the ring sees it: {@code length} elements from {@code offset} of an array, and the
 * moves between it and Aeron's log buffers. Element indices ({@code from}) count from the start of the range.
 * Reductions travel as fp32 whatever the element type; gathers travel in the element type.
 *
 * <p>Moves copy with {@code copyMemory} into a per-communicator chunk scratch and then run plain array loops,
 * which the JIT vectorises. One instance per collective; used only by the communicator's thread.
 */
abstract class ElementBuffer {
    static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    static final long SHORT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(short[].class);

    final int offset;
    final int length;
    /** fp32 staging for one chunk: {@code chunkElements} long, owned by the communicator's thread. */
    float[] chunkScratch;
    /** A second chunk of fp32 staging, for ranges that are not in an array of their own type. */
    float[] secondChunkScratch;

    ElementBuffer(final int arrayLength, final int offset, final int length) {
        if (offset < 0 || length < 0 || offset > arrayLength - length) {
            throw new IndexOutOfBoundsException("offset=" + offset + ", length=" + length + " of an array of "
                + arrayLength);
        }
        this.offset = offset;
        this.length = length;
    }

    /** Bytes per element in gathers and broadcasts. */
    abstract int nativeBytes();

    /** Short name of the element type for messages and signatures. */
    abstract String typeName();

    /** Length of the fp32 partial-sum scratch a reduction over this range needs; 0 when sums stay in place. */
    int partialScratchLength() {
        return 0;
    }

    /**
     * Binds the communicator's scratch before the collective begins.
     *
     * @param chunkScratch       {@code chunkElements} long.
     * @param secondChunkScratch {@code chunkElements} long, distinct from {@code chunkScratch}.
     * @param partialScratch     at least {@link #partialScratchLength()} long for a reduction, else unused.
     */
    void bind(final float[] chunkScratch, final float[] secondChunkScratch, final float[] partialScratch) {
        this.chunkScratch = chunkScratch;
        this.secondChunkScratch = secondChunkScratch;
    }

    /** Releases references to scratch when the collective ends. */
    void unbind() {
        chunkScratch = null;
        secondChunkScratch = null;
    }

    /** Writes own elements {@code [from, from + count)} as fp32 (the first step of a reduction). */
    abstract void writeOwnFp32(MutableDirectBuffer dst, int dstOffset, int from, int count);

    /** Writes the partial sums of {@code [from, from + count)} as fp32 (later steps of a reduction). */
    abstract void writePartialFp32(MutableDirectBuffer dst, int dstOffset, int from, int count);

    /** {@code partial[i] = received[i] + own[i]}: a sum to pass on. */
    abstract void reducePartial(DirectBuffer src, int srcOffset, int from, int count);

    /** {@code own[i] = received[i] + own[i]}, rounded to the element type: the finished sum of this rank's segment. */
    abstract void reduceFinal(DirectBuffer src, int srcOffset, int from, int count);

    /** Writes own elements in the element type (gathers, broadcast). */
    abstract void writeNative(MutableDirectBuffer dst, int dstOffset, int from, int count);

    /** Stores received elements of the element type (gathers, broadcast). */
    abstract void readNative(DirectBuffer src, int srcOffset, int from, int count);

    /** Copies {@code count} fp32 values from a buffer into {@code dst[0..count)}. */
    static void copyToFloats(final DirectBuffer src, final int srcOffset, final float[] dst, final int count) {
        UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + srcOffset, dst, FLOAT_ARRAY_BASE,
            (long) count * Float.BYTES);
    }

    /** Copies {@code count} fp32 values {@code src[from..]} into a buffer. */
    static void copyFromFloats(final float[] src, final int from, final MutableDirectBuffer dst, final int dstOffset,
                               final int count) {
        UnsafeApi.copyMemory(src, FLOAT_ARRAY_BASE + (long) from * Float.BYTES, dst.byteArray(),
            dst.addressOffset() + dstOffset, (long) count * Float.BYTES);
    }
}
