package dev.zeroshard.checkpoints.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as a safetensors header declares it, after the reader has checked it.
 *
 * @param name       the tensor's name in the file.
 * @param dtype      element type.
 * @param shape      dimensions, outermost first (row-major); empty for a scalar; a 0 dimension makes an empty tensor.
 * @param beginBytes first byte of the tensor's data, relative to the start of the data section (after the header).
 * @param endBytes   one past the last byte, same origin; {@code endBytes - beginBytes} is elements times dtype size.
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long beginBytes, long endBytes) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long lengthElements() {
        return TensorSpec.elements(shape);
    }

    /** Bytes of data: {@code endBytes - beginBytes}. */
    public long lengthBytes() {
        return endBytes - beginBytes;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof TensorInfo that
            && name.equals(that.name)
            && dtype == that.dtype
            && Arrays.equals(shape, that.shape)
            && beginBytes == that.beginBytes
            && endBytes == that.endBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), beginBytes, endBytes);
    }

    @Override
    public String toString() {
        return name + ":" + dtype + Arrays.toString(shape) + "@[" + beginBytes + "," + endBytes + ")";
    }
}
