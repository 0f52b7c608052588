package dev.zeroshard.sharding.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CollectiveStallTest {
    @Test
    void shouldNameTheRankACollectiveWaitsForLongBeforeItsDeadline(@TempDir final Path dir) throws Exception {
        try (RingHarness ring = RingHarness.ipc(2, dir, RingHarness.settings(20_000, 4096))) {
            final Communicator waiting = ring.communicator(0);
            final Communicator late = ring.communicator(1);
            final CollectiveHandle first = waiting.startAllReduce(3, new float[1000], 0, 1000);
            Thread.sleep(400);

            final Optional<CollectiveStall> stall = waiting.stalledFor(TimeUnit.MILLISECONDS.toNanos(300));

            assertThat(stall).isPresent();
            assertThat(stall.get().waitingOn()).isEqualTo(1);
            assertThat(stall.get().describe()).startsWith("rank 0 has waited").contains("for rank 1 in allreduce of "
                + "bucket 3");
            assertThat(waiting.stalledFor(TimeUnit.SECONDS.toNanos(10))).as("under a higher threshold").isEmpty();

            late.startAllReduce(3, new float[1000], 0, 1000).await();
            first.await();
            assertThat(waiting.stalledFor(0)).as("nothing under way").isEmpty();
        }
    }
}
