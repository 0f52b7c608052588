package dev.zeroshard.worker.backend.cuda;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bookkeeping of a caching allocator, apart from the memory it manages (so it is testable without a device):
 * released blocks are kept by size and handed out again, so a training loop that asks for the same sizes every
 * step reaches the backing allocator (cuMemAlloc) only in its first step. Sizes are rounded up, to 512 bytes below
 * 1 MiB and to 2 MiB above; a cached block is reused for a request of its rounded size or up to a quarter
 * smaller. When the backing allocator fails, every cached block is freed and the request tried once more.
 * Not thread-safe: one training loop allocates.
 *
 * @param <B> a block of the backing memory (a device pointer).
 */
public final class CachingAllocator<B> {
    /** Memory the cache draws from. */
    public interface Backing<B> {
        /** A new block of exactly {@code bytes}; throws (an {@link OutOfMemoryError} or a driver error) when none. */
        B allocate(long bytes);

        void free(B block);
    }

    static final long SMALL_LIMIT_BYTES = 1L << 20;
    static final long SMALL_ROUND_BYTES = 512;
    static final long LARGE_ROUND_BYTES = 2L << 20;

    private final Backing<B> backing;
    private final TreeMap<Long, ArrayDeque<B>> cached = new TreeMap<>();
    private final Map<B, Long> live = new IdentityHashMap<>();
    private long bytesInUse;
    private long bytesCached;
    private long peakBytesReserved;
    private long backingAllocations;
    private long cacheHits;

    public CachingAllocator(final Backing<B> backing) {
        this.backing = backing;
    }

    /** The size a request of {@code bytes} occupies. */
    public static long roundedSize(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation of " + bytes + " bytes");
        }
        final long unit = bytes < SMALL_LIMIT_BYTES ? SMALL_ROUND_BYTES : LARGE_ROUND_BYTES;
        return (bytes + unit - 1) / unit * unit;
    }

    /** A block of at least {@code bytes}, from the cache where one fits, else from the backing allocator. */
    public B allocate(final long bytes) {
        final long size = roundedSize(bytes);
        final Map.Entry<Long, ArrayDeque<B>> fit = cached.ceilingEntry(size);
        if (fit != null && fit.getKey() <= size + size / 4) {
            final B block = fit.getValue().pop();
            if (fit.getValue().isEmpty()) {
                cached.remove(fit.getKey());
            }
            bytesCached -= fit.getKey();
            cacheHits++;
            return use(block, fit.getKey());
        }
        B block;
        try {
            block = backing.allocate(size);
        } catch (final RuntimeException | OutOfMemoryError first) {
            if (bytesCached == 0) {
                throw first;
            }
            trim();
            block = backing.allocate(size);
        }
        backingAllocations++;
        peakBytesReserved = Math.max(peakBytesReserved, bytesReserved() + size);
        return use(block, size);
    }

    private B use(final B block, final long size) {
        live.put(block, size);
        bytesInUse += size;
        return block;
    }

    /** Gives {@code block} back to the cache (not to the backing allocator). */
    public void release(final B block) {
        final Long size = live.remove(block);
        if (size == null) {
            throw new IllegalArgumentException("block " + block + " is not in use (released twice, or not ours)");
        }
        bytesInUse -= size;
        bytesCached += size;
        cached.computeIfAbsent(size, s -> new ArrayDeque<>()).push(block);
    }

    /** Frees every cached block to the backing allocator; blocks in use stay. */
    public void trim() {
        for (final ArrayDeque<B> blocks : cached.values()) {
            for (final B block : blocks) {
                backing.free(block);
            }
        }
        cached.clear();
        bytesCached = 0;
    }

    /** Rounded bytes handed out and not released. */
    public long bytesInUse() {
        return bytesInUse;
    }

    /** Rounded bytes released and kept for reuse. */
    public long bytesCached() {
        return bytesCached;
    }

    /** Bytes taken from the backing allocator and not given back: in use plus cached. */
    public long bytesReserved() {
        return bytesInUse + bytesCached;
    }

    public long peakBytesReserved() {
        return peakBytesReserved;
    }

    /** Calls of the backing allocator so far. */
    public long backingAllocations() {
        return backingAllocations;
    }

    /** Requests served from the cache so far. */
    public long cacheHits() {
        return cacheHits;
    }

    /** The rounded size of a block in use. */
    public long sizeOf(final B block) {
        final Long size = live.get(block);
        if (size == null) {
            throw new IllegalArgumentException("block " + block + " is not in use");
        }
        return size;
    }
}
