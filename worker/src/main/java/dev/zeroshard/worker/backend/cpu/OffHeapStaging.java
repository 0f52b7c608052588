package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import dev.zeroshard.worker.ops.Bf16Convert;
import dev.zeroshard.worker.ops.Parallel;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
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
    /** Elements per parallel copy chunk: below this a copy runs on the calling thread. */
    private static final int MIN_COPY_CHUNK = 1 << 16;

    private AlignedMemory memory;
    private FloatBuffer floats;
    private ShortBuffer shorts;

    /** Grows the buffer to at least {@code bytes} (contents undefined after growth). */
    void ensure(final long bytes) {
        final long capacity = memory == null ? 0 : memory.bytes;
        if (bytes > capacity) {
            final long grown = Math.min(AlignedMemory.MAX_BYTES, Math.max(bytes, capacity + capacity / 2));
            free();
            memory = new AlignedMemory(Math.max(bytes, grown), "a staged matrix (split the product)");
            floats = memory.floats;
            shorts = memory.shorts;
        }
    }

    /** The buffer as fp32, for the native call; valid until the next growth. */
    FloatPointer floatPointer() {
        return memory.floatPointer;
    }

    /** The buffer as bf16 bits, for the native call; valid until the next growth. */
    ShortPointer shortPointer() {
        return memory.shortPointer;
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

    /** Packs the (rows, cols) fp32 matrix rounded to bf16 (nearest, ties to even, as {@code Bf16.fromFloat}). */
    void copyInRounded(final float[] src, final int off, final int ld, final int rows, final int cols) {
        ensure(2L * rows * cols);
        final ShortBuffer dst = shorts;
        Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
            final short[] bits = new short[cols];
            for (int r = from; r < to; r++) {
                Bf16Convert.toBitsOnThisThread(src, off + r * ld, bits, 0, cols);
                dst.put(r * cols, bits, 0, cols);
            }
        });
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

    /**
     * Packs the (rows, cols) matrix at {@code src[off]} with leading dimension {@code ld}, a buffer of
     * another kind, as bf16 ({@code asBf16}, rounding fp32) or fp32 (widening bf16). The slow path, for
     * operands whose buffer the library cannot read in place.
     */
    void copyIn(final MatrixBuffer src, final long off, final int ld, final int rows, final int cols,
        final boolean asBf16) {
        ensure((asBf16 ? 2L : 4L) * rows * cols);
        final FloatBuffer f = floats;
        final ShortBuffer sh = shorts;
        Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
            final float[] row = new float[cols];
            final short[] bits = new short[cols];
            for (int r = from; r < to; r++) {
                src.read(off + (long)r * ld, row, 0, cols);
                if (asBf16) {
                    Bf16Convert.toBitsOnThisThread(row, 0, bits, 0, cols);
                    sh.put(r * cols, bits, 0, cols);
                } else {
                    f.put(r * cols, row, 0, cols);
                }
            }
        });
    }

    /**
     * Unpacks this buffer, a packed (rows, cols) fp32 matrix, into {@code dst[off]} with leading
     * dimension ld, adding {@code bias[biasOff, +cols)} to every row when {@code bias} is not null.
     */
    void copyOut(final float[] dst, final int off, final int ld, final int rows, final int cols, final float[] bias,
        final int biasOff) {
        final FloatBuffer src = floats;
        if (bias != null) {
            Parallel.shared().forRange(rows, Math.max(1, MIN_COPY_CHUNK / Math.max(1, cols)), (from, to) -> {
                final float[] row = new float[cols];
                final float[] b = new float[cols];
                System.arraycopy(bias, biasOff, b, 0, cols);
                for (int r = from; r < to; r++) {
                    src.get(r * cols, row, 0, cols);
                    addRow(row, b, cols);
                    System.arraycopy(row, 0, dst, off + r * ld, cols);
                }
            });
        } else if (ld == cols) {
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

    /** row[j] += bias[j]: zero-based arrays so that C2 vectorises the loop. */
    private static void addRow(final float[] row, final float[] bias, final int cols) {
        for (int j = 0; j < cols; j++) {
            row[j] += bias[j];
        }
    }

    /** Frees the native memory; the staging may be used again (it reallocates). */
    void free() {
        if (memory != null) {
            memory.free();
            memory = null;
            floats = null;
            shorts = null;
        }
    }
}
