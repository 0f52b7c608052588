package dev.zeroshard.worker.backend.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A block of 64-byte-aligned native memory seen three ways: as Java buffers of floats and shorts
 * (for copies from the heap) and as JavaCPP pointers (for the native call). Freed by {@link #free()};
 * a block its owner never frees (a model nobody closed) is released by JavaCPP once unreachable.
 */
final class AlignedMemory {
    private static final int ALIGN_BYTES = 64;
    /** The most one block holds: Java buffers index with int. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 2L * ALIGN_BYTES;

    private final BytePointer memory;
    final long bytes;
    final FloatBuffer floats;
    final ShortBuffer shorts;
    final FloatPointer floatPointer;
    final ShortPointer shortPointer;

    /** At least {@code bytes} (rounded up to whole 64-byte units), contents undefined. */
    AlignedMemory(final long bytes, final String what) {
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(what + " needs " + bytes + " bytes, more than one native block of "
                + MAX_BYTES + " holds; lower the batch size or sequence length");
        }
        // alignedSlice also rounds the end down: allocate whole 64-byte units plus one for the start
        final long rounded = (Math.max(bytes, 1) + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
        memory = new BytePointer(rounded + ALIGN_BYTES);
        final ByteBuffer aligned = memory.asByteBuffer().alignedSlice(ALIGN_BYTES).order(ByteOrder.nativeOrder());
        this.bytes = rounded;
        floats = aligned.asFloatBuffer();
        shorts = aligned.asShortBuffer();
        floatPointer = new FloatPointer(floats);
        shortPointer = new ShortPointer(shorts);
    }

    /** Releases the native memory; no view may be used afterwards. */
    void free() {
        memory.deallocate();
    }
}
