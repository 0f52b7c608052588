package dev.zeroshard.sharding.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionAndScheduleTest {
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4, 7, 8})
    void shouldTileTheRangeExactlyOnceWithNearlyEqualSegmentsWhenEven(final int worldSize) {
        for (final int length : new int[] {0, 1, worldSize - 1, worldSize, 1000, 1001}) {
            final Partition partition = Partition.even(length, worldSize);
            int covered = 0;
            for (int rank = 0; rank < worldSize; rank++) {
                assertThat(partition.offset(rank)).isEqualTo(covered);
                assertThat(partition.length(rank)).isBetween(length / worldSize, length / worldSize + 1);
                covered += partition.length(rank);
            }
            assertThat(covered).isEqualTo(length);
        }
    }

    @Test
    void shouldNameTheBadBoundWhenBoundsDecrease() {
        assertThatThrownBy(() -> Partition.of(0, 5, 3, 9)).hasMessageContaining("bounds[2]=3 < bounds[1]=5");
        assertThatThrownBy(() -> Partition.of(1, 5)).hasMessageContaining("bounds[0]=1 must be 0");
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {2, 3, 4, 8})
    void shouldSendEveryOtherSegmentOnceAndEndOnItsOwnWhenReduceScattering(final int worldSize) {
        for (int rank = 0; rank < worldSize; rank++) {
            final Set<Integer> sent = new HashSet<>();
            for (int step = 0; step <= worldSize - 2; step++) {
                sent.add(RingSchedule.sendSegment(rank, step, worldSize));
                // what the previous rank sends at this step is what this rank receives
                assertThat(RingSchedule.sendSegment((rank + worldSize - 1) % worldSize, step, worldSize))
                    .isEqualTo(RingSchedule.receiveSegment(rank, step, worldSize));
            }
            assertThat(sent).hasSize(worldSize - 1).doesNotContain(rank);
            assertThat(RingSchedule.receiveSegment(rank, worldSize - 2, worldSize)).as("own segment completes last")
                .isEqualTo(rank);
            assertThat(RingSchedule.sendSegment(rank, worldSize - 1, worldSize)).as("gather starts with own segment")
                .isEqualTo(rank);
        }
    }

    @Test
    void shouldFoldFromTheRankAfterTheOwnerWhenComputingTheReference() {
        final float[][] inputs = {{1e8f, 1e8f, 1e8f}, {1f, 1f, 1f}, {-1e8f, -1e8f, -1e8f}};
        final float[] out = new float[3];
        RingSchedule.referenceSum(inputs, 0, Partition.even(3, 3), out, 0);
        // segment 0 folds ranks 1, 2, 0: (1 - 1e8) + 1e8 = 0 (the 1 is lost)
        assertThat(out[0]).isEqualTo(0f);
        // segment 1 folds ranks 2, 0, 1: (-1e8 + 1e8) + 1 = 1
        assertThat(out[1]).isEqualTo(1f);
        // segment 2 folds ranks 0, 1, 2: (1e8 + 1) - 1e8 = 0
        assertThat(out[2]).isEqualTo(0f);
        assertThat(RingSchedule.firstContributor(2, 3)).isZero();
        assertThat(RingSchedule.contributor(2, 2, 3)).isEqualTo(2);
    }

    @Test
    void shouldDeriveTheDeadlineFromTheBytesWhenNoneIsSet() {
        final CommSettings settings = new CommSettings().deadlineSlackNs(2_000_000_000L)
            .deadlineBandwidth(100_000_000L).conclude();
        assertThat(settings.deadlineForBytesNs(0)).isEqualTo(2_000_000_000L);
        assertThat(settings.deadlineForBytesNs(300_000_000L)).isEqualTo(5_000_000_000L);
        final CommSettings fixed = new CommSettings().deadlineNs(1_000_000_000L).failureGraceNs(100_000_000L)
            .conclude();
        assertThat(fixed.deadlineForBytesNs(300_000_000L)).isEqualTo(1_000_000_000L);
    }

    @Test
    void shouldReportEveryViolatedRuleWhenSettingsAreBad() {
        assertThatThrownBy(() -> new CommSettings().chunkLength(65536).deadlineNs(400_000_000L)
            .failureGraceNs(300_000_000L).deadlineBandwidth(0).conclude())
            .hasMessageContaining("zeroshard.comm.chunk.length=65536: must be a multiple of 4 from 4 to "
                + "MAX_CHUNK_LENGTH=65440")
            .hasMessageContaining("zeroshard.comm.failure.grace=300000000ns: must be at most half the shortest "
                + "deadline (deadline=400000000ns)")
            .hasMessageContaining("zeroshard.comm.deadline.bandwidth=0");
    }
}
