package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import dev.zeroshard.worker.ops.Bf16Convert;

import java.nio.ShortBuffer;
import org.bytedeco.javacpp.Pointer;

/** A {@link MatrixBuffer} in native memory that a {@link StagedGemm}'s library reads in place. */
final class NativeMatrixBuffer extends MatrixBuffer {
    private final AlignedMemory memory;
    private boolean closed;

    NativeMatrixBuffer(final long length, final boolean bf16) {
        super(length, bf16);
        memory = new AlignedMemory(length * (bf16 ? Short.BYTES : Float.BYTES), "a matrix buffer of " + length
            + (bf16 ? " bf16" : " fp32") + " values");
    }

    /** The element at {@code index}, as a pointer for the native call. */
    Pointer pointerAt(final long index) {
        checkOpen();
        return bf16() ? memory.shortPointer.getPointer(index) : memory.floatPointer.getPointer(index);
    }

    @Override
    void writeChunk(final long index, final float[] src, final int srcOff, final int count,
        final boolean roundSource) {
        checkOpen();
        if (!bf16()) {
            memory.floats.put((int)index, src, srcOff, count);
            return;
        }
        // rounded through a small heap chunk that stays in cache, then one bulk copy
        final short[] bits = new short[Math.min(count, CHUNK)];
        final ShortBuffer dst = memory.shorts;
        for (int done = 0; done < count; done += bits.length) {
            final int n = Math.min(bits.length, count - done);
            Bf16Convert.toBitsOnThisThread(src, srcOff + done, bits, 0, n);
            if (roundSource) {
                Bf16.toFloat(bits, 0, src, srcOff + done, n);
            }
            dst.put((int)(index + done), bits, 0, n);
        }
    }

    @Override
    void readChunk(final long index, final float[] dst, final int dstOff, final int count) {
        checkOpen();
        if (!bf16()) {
            memory.floats.get((int)index, dst, dstOff, count);
            return;
        }
        final short[] bits = new short[count];
        memory.shorts.get((int)index, bits, 0, count);
        Bf16.toFloat(bits, 0, dst, dstOff, count);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            memory.free();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("matrix buffer used after close");
        }
    }
}
