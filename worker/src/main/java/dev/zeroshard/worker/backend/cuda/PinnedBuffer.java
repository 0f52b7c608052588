package dev.zeroshard.worker.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Page-locked host memory (cuMemHostAlloc): what the copy engine reads and writes asynchronously, and what a
 * transport can read in place as a {@link ByteBuffer}. Freed by {@link #close()}.
 */
public final class PinnedBuffer implements AutoCloseable {
    private final Pointer pointer = new Pointer();
    private final long bytes;
    private final ByteBuffer buffer;
    private boolean closed;

    /** {@code bytes} of pinned memory, portable to every context. */
    public PinnedBuffer(final long bytes) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pinned buffer of " + bytes + " bytes: must be in [1, 2^31)");
        }
        JCudaDriver.cuMemHostAlloc(pointer, bytes, JCudaDriver.CU_MEMHOSTALLOC_PORTABLE);
        this.bytes = bytes;
        this.buffer = pointer.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }

    public long bytes() {
        return bytes;
    }

    /** The host address, for cuMemcpy*Async. */
    public Pointer pointer() {
        return pointer;
    }

    /** The memory as bytes in native order (a view; position and limit are the caller's). */
    public ByteBuffer bytesView() {
        return buffer.duplicate().order(ByteOrder.nativeOrder());
    }

    /** The memory as floats (a fresh view at position 0). */
    public FloatBuffer floats() {
        return buffer.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            JCudaDriver.cuMemFreeHost(pointer);
        }
    }
}
