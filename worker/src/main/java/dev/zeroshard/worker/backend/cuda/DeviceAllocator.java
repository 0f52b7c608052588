package dev.zeroshard.worker.backend.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Device memory through a {@link CachingAllocator} over cuMemAlloc/cuMemFree: a model allocates its buffers once
 * per shape, scratch that comes and goes is served from the cache, and no step calls cuMemAlloc once the first has
 * run. Not thread-safe (one training loop), like the cache under it.
 */
public final class DeviceAllocator {
    private final CachingAllocator<CUdeviceptr> cache = new CachingAllocator<>(new CachingAllocator.Backing<>() {
        @Override
        public CUdeviceptr allocate(final long bytes) {
            final CUdeviceptr pointer = new CUdeviceptr();
            JCudaDriver.cuMemAlloc(pointer, bytes);
            return pointer;
        }

        @Override
        public void free(final CUdeviceptr block) {
            JCudaDriver.cuMemFree(block);
        }
    });

    DeviceAllocator() {
    }

    /** A buffer of at least {@code bytes}. */
    public synchronized DeviceBuffer allocate(final long bytes) {
        return new DeviceBuffer(cache.allocate(bytes), bytes);
    }

    /** {@code count} floats. */
    public DeviceBuffer floats(final long count) {
        return allocate(4 * count);
    }

    /** {@code count} bf16 values. */
    public DeviceBuffer bf16s(final long count) {
        return allocate(2 * count);
    }

    /** {@code count} ints. */
    public DeviceBuffer ints(final long count) {
        return allocate(4 * count);
    }

    /** Returns {@code buffer}'s block to the cache; the buffer must not be used afterwards. */
    public synchronized void release(final DeviceBuffer buffer) {
        cache.release(buffer.pointer());
    }

    /** Frees the cached blocks to the driver. */
    public synchronized void trim() {
        cache.trim();
    }

    public synchronized long bytesInUse() {
        return cache.bytesInUse();
    }

    public synchronized long bytesReserved() {
        return cache.bytesReserved();
    }

    public synchronized long backingAllocations() {
        return cache.backingAllocations();
    }
}
