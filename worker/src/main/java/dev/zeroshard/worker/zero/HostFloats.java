package dev.zeroshard.worker.zero;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Moves fp32 values between a model's host gradients (native-order floats in an Agrona buffer, element o at byte
 * {@code 4·o}) and the store's arrays, a chunk at a time through a scratch array so that the sums run as plain array
 * loops the JIT vectorises. Each instance owns its scratch; used by one thread.
 */
final class HostFloats {
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final int CHUNK = 1 << 14;
    /** Floats per Unsafe copy: a copy of this size (1 MiB) still lets the JVM reach a safepoint soon. */
    private static final int COPY_CHUNK = 1 << 18;

    private final float[] scratch;

    /** For moves of at most {@code longest} values at a time (the scratch is no longer than that). */
    HostFloats(final int longest) {
        this.scratch = new float[Math.max(1, Math.min(CHUNK, longest))];
    }

    /**
     * {@code modelGradients} (a model's host gradients, or null), refused when it cannot hold {@code elements} fp32
     * values.
     */
    static MutableDirectBuffer checkHolds(final MutableDirectBuffer modelGradients, final int elements) {
        if (modelGradients != null && modelGradients.capacity() / Float.BYTES < elements) {
            throw new IllegalArgumentException("the model's host gradients hold " + modelGradients.capacity()
                + " bytes: must hold its " + elements + " fp32 gradients");
        }
        return modelGradients;
    }

    /** Bytes of scratch. */
    long bytes() {
        return (long) Float.BYTES * scratch.length;
    }

    /** {@code into[at + i] = values[from + i]}. */
    static void copy(final DirectBuffer values, final int from, final float[] into, final int at, final int count) {
        for (int done = 0; done < count; done += COPY_CHUNK) {
            final int n = Math.min(COPY_CHUNK, count - done);
            UnsafeApi.copyMemory(values.byteArray(), values.addressOffset() + (long) Float.BYTES * (from + done), into,
                FLOAT_ARRAY_BASE + (long) Float.BYTES * (at + done), (long) Float.BYTES * n);
        }
    }

    /** {@code into[at + i] = into[at + i] + values[from + i]}, or a copy when {@code add} is false. */
    void addInto(final DirectBuffer values, final int from, final float[] into, final int at, final int count,
                 final boolean add) {
        for (int done = 0; done < count; done += scratch.length) {
            final int n = Math.min(scratch.length, count - done);
            if (!add) {
                copy(values, from + done, into, at + done, n);
                continue;
            }
            copy(values, from + done, scratch, 0, n);
            final int base = at + done;
            for (int i = 0; i < n; i++) {
                into[base + i] = into[base + i] + scratch[i];
            }
        }
    }

    /** {@code values[from + i] = sums[from + i] + values[from + i]}: the store's earlier sums into the model's. */
    void addFrom(final float[] sums, final MutableDirectBuffer values, final int from, final int count) {
        for (int done = 0; done < count; done += scratch.length) {
            final int n = Math.min(scratch.length, count - done);
            final int at = from + done;
            copy(values, at, scratch, 0, n);
            for (int i = 0; i < n; i++) {
                scratch[i] = sums[at + i] + scratch[i];
            }
            UnsafeApi.copyMemory(scratch, FLOAT_ARRAY_BASE, values.byteArray(),
                values.addressOffset() + (long) Float.BYTES * at, (long) Float.BYTES * n);
        }
    }
}
