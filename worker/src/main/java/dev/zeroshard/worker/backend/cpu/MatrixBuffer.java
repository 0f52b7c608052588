package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import dev.zeroshard.worker.ops.Bf16Convert;
import dev.zeroshard.worker.ops.Parallel;

/**
 * A flat buffer of matrix operands that a {@link Gemm} reads in place: the model writes an
 * activation here once (rounding it to bf16 in bf16 mode) and every product that reads it, forward
 * and backward, skips the copy. Native Gemms hand out off-heap buffers their library reads
 * directly; {@link JavaGemm} hands out heap ones. Either kind works with either Gemm (a foreign
 * kind is copied, as heap arrays are).
 *
 * <p>Holds fp32 or bf16 values, fixed at creation. Writes are parallel over {@link Parallel}.
 */
public abstract class MatrixBuffer implements AutoCloseable {
    /** Elements per parallel chunk of a write. */
    static final int CHUNK = 1 << 14;

    private final long length;
    private final boolean bf16;

    MatrixBuffer(final long length, final boolean bf16) {
        if (length < 0) {
            throw new IllegalArgumentException("buffer length " + length + " < 0");
        }
        this.length = length;
        this.bf16 = bf16;
    }

    /** Elements (fp32 or bf16) the buffer holds. */
    public final long length() {
        return length;
    }

    /** Whether the elements are bf16. */
    public final boolean bf16() {
        return bf16;
    }

    /**
     * buffer[index, +count) = src[srcOff, +count): copied for an fp32 buffer, rounded to bf16
     * (nearest, ties to even) for a bf16 one.
     */
    public final void write(final long index, final float[] src, final int srcOff, final int count) {
        writeParallel(index, src, srcOff, count, false);
    }

    /** {@link #write} on the calling thread alone: for callers that already split the work across threads. */
    public final void writeOnThisThread(final long index, final float[] src, final int srcOff, final int count) {
        checkRange(index, count, src.length, srcOff);
        writeChunk(index, src, srcOff, count, false);
    }

    /**
     * As {@link #write}, and for a bf16 buffer also rounds {@code src} in place to the values written:
     * for a tensor that fp32 readers (attention backward) must see at the precision the products saw.
     */
    public final void writeRoundingSource(final long index, final float[] src, final int srcOff, final int count) {
        writeParallel(index, src, srcOff, count, bf16);
    }

    private void writeParallel(final long index, final float[] src, final int srcOff, final int count,
                               final boolean roundSource) {
        checkRange(index, count, src.length, srcOff);
        Parallel.shared().forRange(count, CHUNK, (from, to) -> writeChunk(index + from, src, srcOff + from, to - from,
            roundSource));
    }

    /** dst[dstOff, +count) = buffer[index, +count) as fp32 (bf16 widened exactly). */
    public final void read(final long index, final float[] dst, final int dstOff, final int count) {
        checkRange(index, count, dst.length, dstOff);
        readChunk(index, dst, dstOff, count);
    }

    /** One thread's part of a write; {@code roundSource} only for bf16 buffers. */
    abstract void writeChunk(long index, float[] src, int srcOff, int count, boolean roundSource);

    abstract void readChunk(long index, float[] dst, int dstOff, int count);

    /** Frees native memory (a no-op for heap buffers); the buffer must not be used afterwards. */
    @Override
    public abstract void close();

    private void checkRange(final long index, final int count, final int arrayLength, final int arrayOff) {
        if (count < 0 || index < 0 || index + count > length || arrayOff < 0 || arrayOff + count > arrayLength) {
            throw new IndexOutOfBoundsException("range [" + index + ", +" + count + ") of a buffer of " + length
                + " with array range [" + arrayOff + ", +" + count + ") of an array of " + arrayLength);
        }
    }

    /** A buffer on the Java heap: what {@link JavaGemm} reads without a copy. */
    static final class Heap extends MatrixBuffer {
        /** fp32 store, or null for a bf16 buffer. */
        final float[] floats;
        /** bf16 store, or null for an fp32 buffer. */
        final short[] bits;

        Heap(final long length, final boolean bf16) {
            super(length, bf16);
            if (length > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a heap buffer of " + length + " elements is more than one Java"
                    + " array holds; lower the batch size or sequence length");
            }
            this.floats = bf16 ? null : new float[(int)length];
            this.bits = bf16 ? new short[(int)length] : null;
        }

        @Override
        void writeChunk(final long index, final float[] src, final int srcOff, final int count,
            final boolean roundSource) {
            if (bits == null) {
                System.arraycopy(src, srcOff, floats, (int)index, count);
            } else {
                Bf16Convert.toBitsOnThisThread(src, srcOff, bits, (int)index, count);
                if (roundSource) {
                    Bf16.toFloat(bits, (int)index, src, srcOff, count);
                }
            }
        }

        @Override
        void readChunk(final long index, final float[] dst, final int dstOff, final int count) {
            if (bits == null) {
                System.arraycopy(floats, (int)index, dst, dstOff, count);
            } else {
                Bf16.toFloat(bits, (int)index, dst, dstOff, count);
            }
        }

        @Override
        public void close() {
        }
    }
}
