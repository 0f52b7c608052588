package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.numeric.Bf16;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * A bf16 range (bit patterns in a {@code short[]}). Reductions accumulate in fp32: partial sums live in an fp32
 * scratch of the range's length and travel as fp32, and only the finished sum of this rank's segment is rounded,
 * once, to bf16 (round to nearest even). Gathers move the bf16 bits themselves, two bytes per element.
 */
final class Bf16Buffer extends ElementBuffer {
    private final short[] array;
    /** fp32 partial sums, indexed like the range: the communicator's scratch, bound only for reductions. */
    private float[] partials;

    Bf16Buffer(final short[] array, final int offset, final int length) {
        super(array.length, offset, length);
        this.array = array;
    }

    @Override
    int nativeBytes() {
        return Short.BYTES;
    }

    @Override
    String typeName() {
        return "bf16";
    }

    @Override
    int partialScratchLength() {
        return length;
    }

    @Override
    void bind(final float[] chunkScratch, final float[] secondChunkScratch, final float[] partialScratch) {
        super.bind(chunkScratch, secondChunkScratch, partialScratch);
        partials = partialScratch;
    }

    @Override
    void unbind() {
        super.unbind();
        partials = null;
    }

    @Override
    void writeOwnFp32(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        final float[] staged = chunkScratch;
        final short[] own = array;
        final int base = offset + from;
        for (int i = 0; i < count; i++) {
            staged[i] = Bf16.toFloat(own[base + i]);
        }
        copyFromFloats(staged, 0, dst, dstOffset, count);
    }

    @Override
    void writePartialFp32(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        copyFromFloats(partials, from, dst, dstOffset, count);
    }

    @Override
    void reducePartial(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        final float[] received = chunkScratch;
        copyToFloats(src, srcOffset, received, count);
        final float[] sums = partials;
        final short[] own = array;
        final int base = offset + from;
        for (int i = 0; i < count; i++) {
            sums[from + i] = received[i] + Bf16.toFloat(own[base + i]);
        }
    }

    @Override
    void reduceFinal(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        final float[] received = chunkScratch;
        copyToFloats(src, srcOffset, received, count);
        final short[] own = array;
        final int base = offset + from;
        for (int i = 0; i < count; i++) {
            own[base + i] = Bf16.fromFloat(received[i] + Bf16.toFloat(own[base + i]));
        }
    }

    @Override
    void writeNative(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        UnsafeApi.copyMemory(array, SHORT_ARRAY_BASE + (long) (offset + from) * Short.BYTES, dst.byteArray(),
            dst.addressOffset() + dstOffset, (long) count * Short.BYTES);
    }

    @Override
    void readNative(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + srcOffset, array,
            SHORT_ARRAY_BASE + (long) (offset + from) * Short.BYTES, (long) count * Short.BYTES);
    }
}
