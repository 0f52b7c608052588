package dev.zeroshard.worker.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * Device memory from the {@link DeviceAllocator}: at least {@link #bytes()} bytes, 256-byte aligned. Kernels take
 * a buffer and an element offset, as the CPU ops take an array and an offset.
 */
public final class DeviceBuffer {
    private final CUdeviceptr pointer;
    private final long bytes;

    DeviceBuffer(final CUdeviceptr pointer, final long bytes) {
        this.pointer = pointer;
        this.bytes = bytes;
    }

    /** Bytes asked for (the block may be larger). */
    public long bytes() {
        return bytes;
    }

    /** The start of the buffer. */
    public CUdeviceptr pointer() {
        return pointer;
    }

    /** The address {@code byteOffset} bytes in, checked against the buffer's size. */
    public CUdeviceptr at(final long byteOffset) {
        if (byteOffset < 0 || byteOffset > bytes) {
            throw new IndexOutOfBoundsException("byte offset " + byteOffset + " outside a buffer of " + bytes + " bytes");
        }
        return byteOffset == 0 ? pointer : pointer.withByteOffset(byteOffset);
    }

    /** Checks that {@code elements} elements of {@code elementBytes} from element {@code offset} lie in the buffer. */
    void checkRange(final String what, final long offset, final long elements, final int elementBytes) {
        if (offset < 0 || elements < 0 || (offset + elements) * elementBytes > bytes) {
            throw new IndexOutOfBoundsException(what + ": elements [" + offset + ", " + (offset + elements) + ") of "
                + elementBytes + " bytes do not fit a buffer of " + bytes + " bytes");
        }
    }
}
