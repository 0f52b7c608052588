package dev.zeroshard.sharding.collective;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * An fp32 range, in a {@code float[]} or in an Agrona buffer (native-order floats, on or off the heap: pinned
 * host memory that a GPU copies gradients into is reduced where it lies). Partial sums are kept in place, in the
 * caller's memory: after a reduce-scatter the elements outside this rank's segment hold partial sums
 * (unspecified), after an allreduce the full sum.
 */
final class Fp32Buffer extends ElementBuffer {
    /** The caller's array, or null when the range is in an Agrona buffer. */
    private final float[] array;
    /** Base object and address of the range's element 0, for Unsafe copies (base null: native memory). */
    private final Object base;
    private final long address;

    Fp32Buffer(final float[] array, final int offset, final int length) {
        super(array.length, offset, length);
        this.array = array;
        this.base = array;
        this.address = FLOAT_ARRAY_BASE + (long) offset * Float.BYTES;
    }

    /** Elements {@code [offset, offset + length)} of {@code buffer} read as native-order floats. */
    Fp32Buffer(final MutableDirectBuffer buffer, final int offset, final int length) {
        super(buffer.capacity() / Float.BYTES, offset, length);
        this.array = null;
        this.base = buffer.byteArray();
        this.address = buffer.addressOffset() + (long) offset * Float.BYTES;
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
        writeNative(dst, dstOffset, from, count);
    }

    @Override
    void writePartialFp32(final MutableDirectBuffer dst, final int dstOffset, final int from, final int count) {
        writeNative(dst, dstOffset, from, count);
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
        UnsafeApi.copyMemory(base, address + (long) from * Float.BYTES, dst.byteArray(),
            dst.addressOffset() + dstOffset, (long) count * Float.BYTES);
    }

    @Override
    void readNative(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + srcOffset, base,
            address + (long) from * Float.BYTES, (long) count * Float.BYTES);
    }

    private void addInPlace(final DirectBuffer src, final int srcOffset, final int from, final int count) {
        final float[] received = chunkScratch;
        copyToFloats(src, srcOffset, received, count);
        final float[] own;
        final int start;
        if (array != null) {
            own = array;
            start = offset + from;
        } else {
            // summed in a float[] that the JIT vectorises, then copied back
            own = secondChunkScratch;
            start = 0;
            UnsafeApi.copyMemory(base, address + (long) from * Float.BYTES, own, FLOAT_ARRAY_BASE,
                (long) count * Float.BYTES);
        }
        // received (the fold of the ranks before this one) + own: the ring's left fold, see RingSchedule
        for (int i = 0; i < count; i++) {
            own[start + i] = received[i] + own[start + i];
        }
        if (array == null) {
            UnsafeApi.copyMemory(own, FLOAT_ARRAY_BASE, base, address + (long) from * Float.BYTES,
                (long) count * Float.BYTES);
        }
    }
}
