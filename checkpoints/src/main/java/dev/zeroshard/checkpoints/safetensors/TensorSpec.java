package dev.zeroshard.checkpoints.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor declared to a {@link SafetensorsWriter} before any data is written.
 *
 * @param name  the tensor's name in the file; not empty, not {@code __metadata__}.
 * @param dtype element type in the file: {@link Dtype#F32}, {@link Dtype#BF16} or {@link Dtype#F16}.
 * @param shape dimensions, outermost first; no dimension below 0; empty for a scalar.
 */
public record TensorSpec(String name, Dtype dtype, long[] shape) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if (name.isEmpty() || SafetensorsHeader.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is reserved or empty");
        }
        if (!dtype.isFloatConvertible()) {
            throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype
                + " cannot be written from fp32 (F32, BF16 or F16 only)");
        }
        for (final long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                    + " has a dimension < 0");
            }
        }
        elements(shape);
    }

    /** Shorthand for {@code new TensorSpec(name, dtype, shape)}. */
    public static TensorSpec of(final String name, final Dtype dtype, final long... shape) {
        return new TensorSpec(name, dtype, shape);
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long lengthElements() {
        return elements(shape);
    }

    /** Bytes of data in the file. */
    public long lengthBytes() {
        return Math.multiplyExact(lengthElements(), dtype.sizeBytes());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof TensorSpec that
            && name.equals(that.name)
            && dtype == that.dtype
            && Arrays.equals(shape, that.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + ":" + dtype + Arrays.toString(shape);
    }

    /** Product of the dimensions; throws {@link ArithmeticException} when it overflows a long. */
    static long elements(final long[] shape) {
        long length = 1;
        for (final long dim : shape) {
            length = Math.multiplyExact(length, dim);
        }
        return length;
    }
}
