package dev.zeroshard.sharding.layout;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named tensor's place in a flat buffer.
 *
 * @param name           the tensor's name (Hugging Face GPT-2 names for the model, e.g. {@code h.0.attn.c_attn.weight}).
 * @param shape          dimensions, outermost first (row-major).
 * @param offsetElements index of the tensor's first element in the flat buffer.
 */
public record TensorRange(String name, long[] shape, long offsetElements) {
    public TensorRange {
        Objects.requireNonNull(name, "name");
        shape = shape.clone();
        for (final long dim : shape) {
            if (dim <= 0) {
                throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                    + " has a dimension <= 0");
            }
        }
        if (offsetElements < 0) {
            throw new IllegalArgumentException("tensor " + name + ": offsetElements=" + offsetElements + " < 0");
        }
    }

    /** Number of elements: the product of the shape. */
    public long lengthElements() {
        long length = 1;
        for (final long dim : shape) {
            length = Math.multiplyExact(length, dim);
        }
        return length;
    }

    /** One past the last element of this tensor. */
    public long endElements() {
        return offsetElements + lengthElements();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A tensor is a matrix (and so takes weight decay, as in GPT-2 training) when it has two or more dimensions. */
    public boolean isMatrix() {
        return shape.length >= 2;
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof TensorRange that
            && name.equals(that.name)
            && Arrays.equals(shape, that.shape)
            && offsetElements == that.offsetElements;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), offsetElements);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + "@" + offsetElements;
    }
}
