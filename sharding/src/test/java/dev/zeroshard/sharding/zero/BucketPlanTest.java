package dev.zeroshard.sharding.zero;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class BucketPlanTest {
    @Test
    void shouldTileTheBufferFromItsEndInBucketsOfTheRequestedSize() {
        final SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 2000; trial++) {
            final long elements = random.nextInt(0, 10_000);
            final long size = random.nextInt(1, 3000);
            final BucketPlan plan = BucketPlan.backwardOrder(elements, size);
            long expectedEnd = elements;
            for (final BucketPlan.Bucket bucket : plan.buckets()) {
                assertThat(bucket.end()).isEqualTo(expectedEnd);
                assertThat(plan.bucketOf(bucket.start())).isEqualTo(bucket.index());
                assertThat(plan.bucketOf(bucket.end() - 1)).isEqualTo(bucket.index());
                assertThat(bucket.length()).isBetween(1, (int) size);
                if (bucket.index() < plan.size() - 1) {
                    assertThat(bucket.length()).isEqualTo((int) Math.min(size, elements));
                }
                expectedEnd = bucket.start();
            }
            assertThat(expectedEnd).isZero();
            assertThat(plan.maxBucketLength()).isLessThanOrEqualTo((int) size);
        }
    }

    @Test
    void shouldReleaseABucketOnlyWhenEverythingFromItsStartToTheEndIsComplete() {
        final BucketPlan plan = BucketPlan.backwardOrder(100, 30);
        assertThat(plan.buckets()).extracting(BucketPlan.Bucket::start).containsExactly(70L, 40L, 10L, 0L);
        assertThat(plan.completedBy(100)).isZero();
        assertThat(plan.completedBy(71)).isZero();
        assertThat(plan.completedBy(70)).isEqualTo(1);
        assertThat(plan.completedBy(15)).isEqualTo(2);
        assertThat(plan.completedBy(0)).isEqualTo(4);
    }
}
