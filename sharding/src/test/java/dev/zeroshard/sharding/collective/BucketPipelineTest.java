package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.numeric.Bf16;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The async bucket API as ZeRO uses it: buckets of one flat buffer started one after another while the caller
 * keeps working, awaited later, several in flight, in order.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BucketPipelineTest {
    @TempDir
    Path baseDir;

    @Test
    void shouldReduceScatterThenAllGatherEveryBucketWhenSeveralAreInFlight() {
        final int worldSize = 3;
        final int[] bucketBounds = {0, 7, 20_000, 20_001, 55_555, 90_000};
        final int length = bucketBounds[bucketBounds.length - 1];
        final float[][] inputs = TestData.floatsPerRank(11, worldSize, length);
        final float[] expected = new float[length];
        final int buckets = bucketBounds.length - 1;
        for (int bucket = 0; bucket < buckets; bucket++) {
            final int from = bucketBounds[bucket];
            final int bucketLength = bucketBounds[bucket + 1] - from;
            RingSchedule.referenceSum(inputs, from, Partition.even(bucketLength, worldSize), expected, from);
        }
        try (RingHarness ring = RingHarness.ipc(worldSize, baseDir, RingHarness.settings(20_000, 1024))) {
            final List<float[]> results = ring.run((rank, comm) -> {
                final float[] flat = inputs[rank].clone();
                final List<CollectiveHandle> reductions = new ArrayList<>();
                // backward produces the last bucket first
                for (int bucket = buckets - 1; bucket >= 0; bucket--) {
                    final int from = bucketBounds[bucket];
                    final int bucketLength = bucketBounds[bucket + 1] - from;
                    reductions.add(comm.startReduceScatter(bucket, flat, from, bucketLength,
                        Partition.even(bucketLength, worldSize)));
                }
                final List<CollectiveHandle> gathers = new ArrayList<>();
                for (final CollectiveHandle reduction : reductions) {
                    reduction.await();
                    final int bucket = reduction.bucket();
                    final int from = bucketBounds[bucket];
                    final int bucketLength = bucketBounds[bucket + 1] - from;
                    gathers.add(comm.startAllGather(bucket, flat, from, bucketLength,
                        Partition.even(bucketLength, worldSize)));
                }
                for (final CollectiveHandle gather : gathers) {
                    gather.await();
                    assertThat(gather.isDone()).isTrue();
                }
                return flat;
            });
            for (int rank = 0; rank < worldSize; rank++) {
                Bits.assertSameBits(results.get(rank), expected, String.format("rank %d", rank));
            }
        }
    }

    @Test
    void shouldCompleteBucketsInTheOrderStartedWhenAwaitedOutOfOrder() {
        final int worldSize = 4;
        final int buckets = 6;
        final int bucketLength = 10_000;
        final short[][] inputs = TestData.bf16PerRank(13, worldSize, buckets * bucketLength);
        try (RingHarness ring = RingHarness.ipc(worldSize, baseDir, RingHarness.settings(20_000, 4096))) {
            final List<short[]> results = ring.run((rank, comm) -> {
                final short[] flat = inputs[rank].clone();
                final List<CollectiveHandle> handles = new ArrayList<>();
                for (int bucket = 0; bucket < buckets; bucket++) {
                    handles.add(comm.startAllReduce(bucket, flat, bucket * bucketLength, bucketLength));
                }
                handles.get(buckets - 1).await();
                for (final CollectiveHandle handle : handles) {
                    assertThat(handle.isDone()).as("bucket %d done once the last is", handle.bucket()).isTrue();
                    handle.await();
                }
                return flat;
            });
            final short[] expected = new short[buckets * bucketLength];
            for (int bucket = 0; bucket < buckets; bucket++) {
                RingSchedule.referenceSumBf16(inputs, bucket * bucketLength, Partition.even(bucketLength, worldSize),
                    expected, bucket * bucketLength);
            }
            for (int rank = 0; rank < worldSize; rank++) {
                Bits.assertSameBits(results.get(rank), expected, String.format("rank %d", rank));
            }
            assertThat(Bf16.toFloat(expected[0])).isNotZero();
        }
    }
}
