package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import dev.zeroshard.worker.ops.Parallel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A reusable, 64-byte-aligned off-heap buffer that a native GEMM reads and writes: heap matrices
 * are copied in packed (leading dimension = width) before the call and the result copied back after.
 *
 * <p>Why: the JNI wrappers of {@code float[]} arguments copy every array in and out on each call
 * (HotSpot's {@code Get<Type>ArrayElements} copies), and allocate; one bulk copy per matrix into
 * memory we own is cheaper and copies only what the call reads. The copies run in parallel
 * over rows with {@link Parallel}. The buffer grows to the largest matrix seen and is then reused;
 * it is freed explicitly on growth, not left to the garbage collector.
 */
final class OffHeapStaging {
    private static final int ALIGN_BYTES = 64;
    /** Elements per parallel copy chunk: below this a copy runs on the calling thread. */
    private static final int MIN_COPY_CHUNK = 1 << 16;

    private BytePointer memory;
    private long capacityBytes;
    private FloatBuffer floats;
    private ShortBuffer shorts;
    private FloatPointer floatPointer;
    private ShortPointer shortPointer;

    /** Grows the buffer to at least {@code bytes} (contents undefined after growth). */
    void ensure(final long bytes) {
        if (bytes > capacityBytes) {
            if (bytes > Integer.MAX_VALUE - 2 * ALIGN_BYTES) {
                throw new IllegalArgumentException("staging of " + bytes + " bytes > 2 GiB; split the product");
            }
            // alignedSlice also rounds the end down: allocate whole 64-byte units plus one for the start
            final long grown = Math.min(Integer.MAX_VALUE - 2 * ALIGN_BYTES,
                Math.max(bytes, capacityBytes + capacityBytes / 2) + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
            free();
            memory = new BytePointer(grown + ALIGN_BYTES);
            final ByteBuffer aligned = memory.asByteBuffer().alignedSlice(ALIGN_BYTES).order(ByteOrder.nativeOrder());
            floats = aligned.asFloatBuffer();
            shorts = aligned.asShortBuffer();
            floatPointer = new FloatPointer(floats);
            shortPointer = new ShortPointer(shorts);
            capacityBytes = grown;
        }
    }

    /** The buffer as fp32, for the native call; valid until the next growth. */
    FloatPointer floatPointer() {
        return floatPointer;
    }

    /** The buffer as bf16 bits, for the native call; valid until the next growth. */
    ShortPointer shortPointer() {
        return shortPointer;
    }

    /** Packs the (rows, cols) matrix at {@code src[off]} with leading dimension {@code ld} into this buffer. */
    void copyIn(final float[] src, final int off, final int ld, final int rows, final int cols) {
        ensure(4L * rows * cols);
        final FloatBuffer dst = floats;
        if (ld == cols) {
            final int total = rows * cols;
            Parallel.shared().forRange(total, MIN_COPY_CHUNK, (from, to) -> dst.put(from, src, off + from, to - from));
        } else {
            Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    dst.put(r * cols, src, off + r * ld, cols);
                }
            });
        }
    }

    /** Packs the (rows, cols) bf16 matrix at {@code src[off]} with leading dimension {@code ld} into this buffer. */
    void copyIn(final short[] src, final int off, final int ld, final int rows, final int cols) {
        ensure(2L * rows * cols);
        final ShortBuffer dst = shorts;
        if (ld == cols) {
            final int total = rows * cols;
            Parallel.shared().forRange(total, MIN_COPY_CHUNK, (from, to) -> dst.put(from, src, off + from, to - from));
        } else {
            Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    dst.put(r * cols, src, off + r * ld, cols);
                }
            });
        }
    }

    /**
     * Packs the (rows, cols) fp32 matrix rounded to bf16 (nearest, ties to even). A NaN whose payload
     * lies only in the low 16 bits would round to infinity; Java's own NaNs do not.
     */
    void copyInRounded(final float[] src, final int off, final int ld, final int rows, final int cols) {
        ensure(2L * rows * cols);
        final ShortBuffer dst = shorts;
        Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
            final float[] row = new float[cols];
            final short[] bits = new short[cols];
            for (int r = from; r < to; r++) {
                System.arraycopy(src, off + r * ld, row, 0, cols);
                roundRow(row, bits, cols);
                dst.put(r * cols, bits, 0, cols);
            }
        });
    }

    /** bits[j] = bf16(row[j]): zero-based arrays so that C2 vectorises the loop. */
    private static void roundRow(final float[] row, final short[] bits, final int cols) {
        for (int j = 0; j < cols; j++) {
            final int x = Float.floatToRawIntBits(row[j]);
            bits[j] = (short)((x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
        }
    }

    /** Packs the (rows, cols) bf16 matrix widened to fp32, for libraries without bf16 inputs. */
    void copyInWidened(final short[] src, final int off, final int ld, final int rows, final int cols) {
        ensure(4L * rows * cols);
        final FloatBuffer dst = floats;
        Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
            final float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                Bf16.toFloat(src, off + r * ld, row, 0, cols);
                dst.put(r * cols, row, 0, cols);
            }
        });
    }

    /** Unpacks this buffer, a packed (rows, cols) fp32 matrix, into {@code dst[off]} with leading dimension ld. */
    void copyOut(final float[] dst, final int off, final int ld, final int rows, final int cols) {
        final FloatBuffer src = floats;
        if (ld == cols) {
            final int total = rows * cols;
            Parallel.shared().forRange(total, MIN_COPY_CHUNK, (from, to) -> src.get(from, dst, off + from, to - from));
        } else {
            Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    src.get(r * cols, dst, off + r * ld, cols);
                }
            });
        }
    }

    /** Frees the native memory; the staging may be used again (it reallocates). */
    void free() {
        if (memory != null) {
            memory.deallocate();
            memory = null;
            floats = null;
            floatPointer = null;
            shortPointer = null;
            shorts = null;
            capacityBytes = 0;
        }
    }
}
