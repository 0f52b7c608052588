package dev.zeroshard.sharding.collective;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * An fp32 range. Partial sums are kept in place, in the caller's array: after a reduce-scatter the elements
 * outside this rank's segment hold partial sums (unspecified), after an allreduce the full sum.
 */
final class Fp32Buffer extends ElementBuffer {
    private final float[] array;

    Fp32Buffer(final float[] array, final int offset, final int length) {
        super(array.length, offset, length);
        this.array = array;
    }

    @Override
    int nativeBytes() {
        return Float.BYTES;
    }

    @Override
    String typeName() {
        return "fp32";
    }

    @Override
    void writeOwnFp32(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        copyFromFloats(array, offset + from, dst, dstOffset, count);
    }

    @Override
    void writePartialFp32(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        copyFromFloats(array, offset + from, dst, dstOffset, count);
    }

    @Override
    void reducePartial(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        addInPlace(src, srcOffset, from, count);
    }

    @Override
    void reduceFinal(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        addInPlace(src, srcOffset, from, count);
    }

    @Override
    void writeNative(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        copyFromFloats(array, offset + from, dst, dstOffset, count);
    }

    @Override
    void readNative(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + srcOffset, array,
            FLOAT_ARRAY_BASE + (long) (offset + from) * Float.BYTES, (long) count * Float.BYTES);
    }

    private void addInPlace(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        final float[] received = chunkScratch;
        copyToFloats(src, srcOffset, received, count);
        final float[] own = array;
        final int base = offset + from;
        // received (the fold of the ranks before this one) + own: the ring's left fold, see RingSchedule
        for (int i = 0; i < count; i++) {
            own[base + i] = received[i] + own[base + i];
        }
    }
}
