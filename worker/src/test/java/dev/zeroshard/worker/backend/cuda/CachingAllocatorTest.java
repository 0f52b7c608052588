package dev.zeroshard.worker.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachingAllocatorTest {
    /** A backing allocator that hands out numbered blocks and can be told to run out of memory. */
    private static final class FakeMemory implements CachingAllocator.Backing<long[]> {
        final List<Long> allocations = new ArrayList<>();
        final List<Long> frees = new ArrayList<>();
        long capacityBytes = Long.MAX_VALUE;
        long heldBytes;

        @Override
        public long[] allocate(final long bytes) {
            if (heldBytes + bytes > capacityBytes) {
                throw new IllegalStateException("CUDA_ERROR_OUT_OF_MEMORY");
            }
            heldBytes += bytes;
            allocations.add(bytes);
            return new long[] {bytes};
        }

        @Override
        public void free(final long[] block) {
            heldBytes -= block[0];
            frees.add(block[0]);
        }
    }

    @Test
    void shouldRoundSmallSizesTo512BytesAndLargeOnesTo2MiB() {
        assertThat(CachingAllocator.roundedSize(1)).isEqualTo(512);
        assertThat(CachingAllocator.roundedSize(512)).isEqualTo(512);
        assertThat(CachingAllocator.roundedSize(513)).isEqualTo(1024);
        assertThat(CachingAllocator.roundedSize((1 << 20) - 1)).isEqualTo(1 << 20);
        assertThat(CachingAllocator.roundedSize(1 << 20)).isEqualTo(2 << 20);
        assertThat(CachingAllocator.roundedSize((3 << 20) + 1)).isEqualTo(4 << 20);
        assertThatThrownBy(() -> CachingAllocator.roundedSize(0)).hasMessageContaining("0 bytes");
    }

    @Test
    void shouldServeARepeatedStepFromTheCacheWithoutNewBackingAllocations() {
        final FakeMemory memory = new FakeMemory();
        final CachingAllocator<long[]> cache = new CachingAllocator<>(memory);
        final long[] sizes = {1000, 5 << 20, 300, 64 << 20};
        for (int step = 0; step < 5; step++) {
            final List<long[]> blocks = new ArrayList<>();
            for (final long size : sizes) {
                blocks.add(cache.allocate(size));
            }
            assertThat(cache.bytesInUse()).isEqualTo(1024 + (6 << 20) + 512 + (64 << 20));
            blocks.forEach(cache::release);
        }
        assertThat(cache.backingAllocations()).isEqualTo(4);
        assertThat(memory.allocations).hasSize(4);
        assertThat(cache.cacheHits()).isEqualTo(16);
        assertThat(cache.bytesInUse()).isZero();
        assertThat(cache.bytesCached()).isEqualTo(cache.bytesReserved()).isEqualTo(memory.heldBytes);
    }

    @Test
    void shouldReuseASomewhatLargerBlockButNotAMuchLargerOne() {
        final FakeMemory memory = new FakeMemory();
        final CachingAllocator<long[]> cache = new CachingAllocator<>(memory);
        final long[] ten = cache.allocate(10 << 20);
        cache.release(ten);

        assertThat(cache.allocate(7 << 20)).isSameAs(ten);
        assertThat(cache.sizeOf(ten)).isEqualTo(10 << 20);
        cache.release(ten);
        final long[] two = cache.allocate(2 << 20);
        assertThat(two).isNotSameAs(ten);
        assertThat(memory.allocations).containsExactly(10L << 20, 2L << 20);
    }

    @Test
    void shouldFreeTheCacheAndRetryOnceWhenTheDeviceRunsOutOfMemory() {
        final FakeMemory memory = new FakeMemory();
        memory.capacityBytes = 10 << 20;
        final CachingAllocator<long[]> cache = new CachingAllocator<>(memory);
        cache.release(cache.allocate(6 << 20));

        final long[] big = cache.allocate(8 << 20);

        assertThat(big[0]).isEqualTo(8 << 20);
        assertThat(memory.frees).containsExactly(6L << 20);
        assertThat(cache.bytesCached()).isZero();
        assertThat(cache.peakBytesReserved()).isEqualTo(8 << 20);
        assertThatThrownBy(() -> cache.allocate(4 << 20)).hasMessageContaining("OUT_OF_MEMORY");
    }

    @Test
    void shouldRefuseToReleaseABlockTwice() {
        final CachingAllocator<long[]> cache = new CachingAllocator<>(new FakeMemory());
        final long[] block = cache.allocate(100);
        cache.release(block);

        assertThatThrownBy(() -> cache.release(block)).hasMessageContaining("not in use");
        assertThatThrownBy(() -> cache.release(new long[] {1})).hasMessageContaining("not in use");
    }
}
