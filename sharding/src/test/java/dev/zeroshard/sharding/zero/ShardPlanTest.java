package dev.zeroshard.sharding.zero;

import dev.zeroshard.sharding.collective.Partition;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardPlanTest {
    @Test
    void shouldGiveEveryRankAnEqualPaddedShardThatCoversEveryElementOnce() {
        final SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 2000; trial++) {
            final long elements = random.nextInt(0, 5000);
            final int world = random.nextInt(1, 9);
            final ShardPlan plan = ShardPlan.of(elements, world);
            assertThat(plan.paddedElements()).isGreaterThanOrEqualTo(elements).isLessThan(elements + world);
            assertThat(plan.paddedElements() % world).isZero();
            long owned = 0;
            for (int rank = 0; rank < world; rank++) {
                owned += plan.ownedElements(rank);
                if (plan.ownedElements(rank) > 0) {
                    assertThat(plan.owner(plan.shardStart(rank))).isEqualTo(rank);
                    assertThat(plan.owner(plan.shardEnd(rank) - 1)).isEqualTo(rank);
                }
            }
            assertThat(owned).isEqualTo(elements);
        }
    }

    @Test
    void shouldCutAnyRangeIntoTheSegmentsItsOwnersHold() {
        final SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 2000; trial++) {
            final long elements = random.nextInt(1, 3000);
            final int world = random.nextInt(1, 7);
            final ShardPlan plan = ShardPlan.of(elements, world);
            final long start = random.nextLong(0, elements);
            final long end = random.nextLong(start, elements + 1);
            final Partition segments = plan.segments(start, end);
            assertThat(segments.worldSize()).isEqualTo(world);
            assertThat(segments.length()).isEqualTo((int) (end - start));
            for (int rank = 0; rank < world; rank++) {
                for (int i = 0; i < segments.length(rank); i++) {
                    assertThat(plan.owner(start + segments.offset(rank) + i)).isEqualTo(rank);
                }
            }
        }
    }

    @Test
    void shouldRefuseARangeOutsideTheBuffer() {
        final ShardPlan plan = ShardPlan.of(10, 3);
        assertThatThrownBy(() -> plan.segments(4, 11)).hasMessageContaining("[4, 11)").hasMessageContaining("[0, 10)");
        assertThatThrownBy(() -> plan.owner(10)).hasMessageContaining("element 10");
        assertThatThrownBy(() -> new ShardPlan(10, 3, 3)).hasMessageContaining("ceil(10 / 3) = 4");
    }
}
