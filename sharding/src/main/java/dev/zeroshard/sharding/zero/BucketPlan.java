package dev.zeroshard.sharding.zero;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Buckets over a flat buffer in the order backward produces gradients: backward runs from the last layer to the
 * first, and the layout puts the first layer first, so gradients complete from the end of the buffer towards its
 * start. Bucket 0 is the last {@code bucketElements} of the buffer, bucket 1 the ones before, and so on; the last
 * bucket may be shorter. A bucket is complete as soon as everything from its start to the end of the buffer is
 * complete, so {@link #completedBy} tells which buckets a finished layer releases. Immutable.
 */
public final class BucketPlan {
    private final long elements;
    private final long bucketElements;
    private final List<Bucket> buckets;

    /**
     * One bucket: elements {@code [start, end)} of the buffer.
     *
     * @param index position in backward order (0 reduces first).
     */
    public record Bucket(int index, long start, long end) {
        public int length() {
            return (int) (end - start);
        }
    }

    private BucketPlan(final long elements, final long bucketElements, final List<Bucket> buckets) {
        this.elements = elements;
        this.bucketElements = bucketElements;
        this.buckets = buckets;
    }

    /** Buckets of {@code bucketElements} (the last one shorter) over a buffer of {@code elements}, last first. */
    public static BucketPlan backwardOrder(final long elements, final long bucketElements) {
        if (elements < 0 || bucketElements < 1) {
            throw new IllegalArgumentException("elements=" + elements + " must be >= 0 and bucketElements="
                + bucketElements + " >= 1");
        }
        final long size = Math.min(bucketElements, Math.max(1, Math.min(elements, Integer.MAX_VALUE - 8)));
        final List<Bucket> buckets = new ArrayList<>();
        long end = elements;
        while (end > 0) {
            final long start = Math.max(0, end - size);
            buckets.add(new Bucket(buckets.size(), start, end));
            end = start;
        }
        return new BucketPlan(elements, size, Collections.unmodifiableList(buckets));
    }

    public List<Bucket> buckets() {
        return buckets;
    }

    public int size() {
        return buckets.size();
    }

    public Bucket bucket(final int index) {
        return buckets.get(index);
    }

    /** The length of the longest bucket: what one bucket buffer must hold. */
    public int maxBucketLength() {
        return buckets.isEmpty() ? 0 : buckets.get(0).length();
    }

    /** Elements of the buffer. */
    public long elements() {
        return elements;
    }

    /** Nominal bucket size (the requested size, capped at the buffer). */
    public long bucketElements() {
        return bucketElements;
    }

    /** The index of the bucket that holds element {@code element} of the buffer. */
    public int bucketOf(final long element) {
        if (element < 0 || element >= elements) {
            throw new IllegalArgumentException("element " + element + " is outside [0, " + elements + ")");
        }
        return (int) ((elements - 1 - element) / bucketElements);
    }

    /**
     * How many buckets (counted from bucket 0) are complete once every element from {@code completeFrom} to the end
     * of the buffer is: those whose start is at or after {@code completeFrom}.
     */
    public int completedBy(final long completeFrom) {
        int count = 0;
        while (count < buckets.size() && buckets.get(count).start() >= completeFrom) {
            count++;
        }
        return count;
    }
}
