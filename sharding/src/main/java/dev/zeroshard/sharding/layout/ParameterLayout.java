package dev.zeroshard.sharding.layout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The order and place of every tensor of a model in one flat buffer. Tensors are packed back to
 * back in the order they were added; parameters, gradients, master weights and optimizer moments
 * all use the same layout.
 */
public final class ParameterLayout {
    private final List<TensorRange> tensors;
    private final Map<String, TensorRange> byName;
    private final long totalElements;

    private ParameterLayout(final List<TensorRange> tensors) {
        this.tensors = List.copyOf(tensors);
        final Map<String, TensorRange> index = new LinkedHashMap<>();
        for (final TensorRange tensor : tensors) {
            index.put(tensor.name(), tensor);
        }
        this.byName = Collections.unmodifiableMap(index);
        this.totalElements = tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).endElements();
    }

    /** Starts a layout; add tensors in the order they should lie in the buffer. */
    public static Builder builder() {
        return new Builder();
    }

    /** Every tensor, in buffer order. */
    public List<TensorRange> tensors() {
        return tensors;
    }

    /** The tensor with this name; throws naming it when there is none. */
    public TensorRange tensor(final String name) {
        final TensorRange tensor = byName.get(name);
        if (tensor == null) {
            throw new NoSuchElementException("no tensor named " + name + " in this layout of "
                + tensors.size() + " tensors");
        }
        return tensor;
    }

    public boolean contains(final String name) {
        return byName.containsKey(name);
    }

    /** Number of elements of the whole buffer (Ψ, the parameter count). */
    public long totalElements() {
        return totalElements;
    }

    /** Collects tensors in order, packing each right after the previous one. */
    public static final class Builder {
        private final List<TensorRange> tensors = new ArrayList<>();
        private final Map<String, Boolean> names = new LinkedHashMap<>();
        private long nextOffsetElements;

        private Builder() {
        }

        public Builder add(final String name, final long... shape) {
            if (names.put(name, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("tensor " + name + " added twice");
            }
            final TensorRange tensor = new TensorRange(name, shape, nextOffsetElements);
            tensors.add(tensor);
            nextOffsetElements = Math.addExact(nextOffsetElements, tensor.lengthElements());
            return this;
        }

        public ParameterLayout build() {
            return new ParameterLayout(tensors);
        }
    }
}
