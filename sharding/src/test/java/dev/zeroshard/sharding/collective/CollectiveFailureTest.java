package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.aeron.RingSpec;
import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Peers that die, leave, hang or disagree: every survivor fails within the deadline naming the rank, the waiters
 * wake, and nothing is left behind (no driver directory, no communicator thread).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectiveFailureTest {
    private static final long DEADLINE_MS = 1500;
    /** Scheduling slack on a loaded 2-core machine on top of the deadline. */
    private static final long LATE_MS = 700;

    @TempDir
    Path baseDir;

    @Test
    void shouldNameTheSilentRankWhenItNeverJoinsTheCollective() {
        try (RingHarness ring = RingHarness.udp(3, baseDir, RingHarness.settings(DEADLINE_MS, 4096))) {
            final long startNs = System.nanoTime();
            final List<Throwable> failures = ring.runCollectingFailures((rank, comm) -> {
                if (rank != 2) {
                    comm.trainingStep(133);
                    comm.startAllReduce(7, TestData.floats(1, rank, 50_000), 0, 50_000).await();
                }
                return null;
            });
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            for (final int survivor : new int[] {0, 1}) {
                assertThat(failures.get(survivor)).as("rank %d", survivor)
                    .isInstanceOf(CollectiveTimeoutException.class)
                    .hasMessageContaining("allreduce of bucket 7 failed on rank " + survivor
                        + " in training step 133 at ring step ")
                    .hasMessageContaining("rank 2 did not deliver");
                final CollectiveTimeoutException timeout = (CollectiveTimeoutException) failures.get(survivor);
                assertThat(timeout.culpritRanks()).containsExactly(2);
                assertThat(timeout.kind()).isEqualTo(CollectiveKind.ALL_REDUCE);
                assertThat(timeout.bucket()).isEqualTo(7);
                assertThat(timeout.trainingStep()).isEqualTo(133);
                assertThat(timeout.step()).isGreaterThanOrEqualTo(0);
            }
            assertThat(elapsedMs).isBetween(DEADLINE_MS - 400, DEADLINE_MS + LATE_MS);
            assertThat(ring.communicator(0).isClosed()).isTrue();
            assertThat(ring.communicator(1).isClosed()).isTrue();
        }
        assertNothingLeft();
    }

    @Test
    void shouldNameTheInterruptedRankWhenItsThreadIsInterruptedMidCollective() throws Exception {
        final int victim = 2;
        try (RingHarness ring = RingHarness.ipc(4, baseDir, RingHarness.settings(DEADLINE_MS, 4096))) {
            final AtomicReference<Thread> victimThread = new AtomicReference<>();
            final int length = 400_000;
            // rank 0 joins last, so the collective cannot finish before the victim is interrupted mid-way
            final List<Future<Object>> running = ring.submit((rank, comm) -> {
                if (rank == 0) {
                    return null;
                }
                if (rank == victim) {
                    victimThread.set(Thread.currentThread());
                }
                comm.startAllReduce(3, TestData.floats(2, rank, length), 0, length).await();
                return null;
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> ring.communicator(victim).bytesReceived() > 0
                && victimThread.get() != null);
            final long startNs = System.nanoTime();
            victimThread.get().interrupt();
            final Throwable late = joinLate(ring.communicator(0), length);
            assertThat(failureOf(running.get(victim))).isInstanceOf(CollectiveAbortedException.class)
                .hasMessageContaining("interrupted");
            for (final int survivor : new int[] {1, 3}) {
                assertNamesVictim(failureOf(running.get(survivor)), victim);
            }
            assertNamesVictim(late, victim);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isLessThan(DEADLINE_MS);
        }
        assertNothingLeft();
    }

    @Test
    void shouldNameTheClosedRankWhenItsCommunicatorClosesMidCollective() throws Exception {
        final int victim = 2;
        // 16 elements a message: the collective takes long enough to be caught in the middle
        try (RingHarness ring = RingHarness.udp(3, baseDir, RingHarness.settings(DEADLINE_MS, 64))) {
            final int length = 600_000;
            final List<Future<Object>> running = ring.submit((rank, comm) -> {
                comm.startAllReduce(5, TestData.floats(3, rank, length), 0, length).await();
                return null;
            });
            await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5))
                .until(() -> ring.communicator(victim).bytesReceived() > 0);
            ring.communicator(victim).close();
            assertThat(failureOf(running.get(victim))).isInstanceOf(CollectiveAbortedException.class)
                .hasMessageContaining("closed its communicator");
            assertNamesVictim(failureOf(running.get(0)), victim);
            assertNamesVictim(failureOf(running.get(1)), victim);
        }
        assertNothingLeft();
    }

    @Test
    void shouldWakeEveryWaiterWithTheReasonWhenAborted() {
        try (RingHarness ring = RingHarness.ipc(3, baseDir, RingHarness.settings(DEADLINE_MS * 10, 4096))) {
            final Communicator comm = ring.communicator(0);
            final CollectiveHandle first = comm.startAllReduce(0, new float[1000], 0, 1000);
            final CollectiveHandle second = comm.startReduceScatter(1, new float[1000], 0, 1000,
                Partition.even(1000, 3));
            final CollectiveHandle third = comm.startAllGather(2, new float[1000], 0, 1000, Partition.even(1000, 3));
            final long startNs = System.nanoTime();
            comm.abort("control plane: job 42 restarts from checkpoint 7");
            for (final CollectiveHandle handle : List.of(first, second, third)) {
                assertThatThrownBy(handle::await).isInstanceOf(CollectiveAbortedException.class)
                    .hasMessageContaining("control plane: job 42 restarts from checkpoint 7")
                    .hasMessageContaining("bucket " + handle.bucket());
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isLessThan(2000);
            assertThatThrownBy(() -> comm.allReduce(new float[3])).isInstanceOf(CollectiveAbortedException.class);
            for (final int peer : new int[] {1, 2}) {
                assertThatThrownBy(() -> ring.communicator(peer).allReduce(new float[10]))
                    .as("rank %d", peer)
                    .isInstanceOf(CollectiveTimeoutException.class)
                    .satisfies(ex -> assertThat(((CollectiveException) ex).culpritRanks()).containsExactly(0));
            }
        }
        assertNothingLeft();
    }

    @Test
    void shouldLetTheSurvivorsBuildANewCommunicatorWhenOneRankFailed() {
        try (RingHarness ring = RingHarness.udp(3, baseDir, RingHarness.settings(DEADLINE_MS, 4096))) {
            ring.communicator(1).abort("rank 1 is being removed");
        }
        assertNothingLeft();
        try (RingHarness survivors = RingHarness.udp(2, baseDir, RingHarness.settings(DEADLINE_MS, 4096))) {
            final float[][] inputs = TestData.floatsPerRank(5, 2, 10_001);
            final float[] expected = new float[10_001];
            RingSchedule.referenceSum(inputs, 0, Partition.even(10_001, 2), expected, 0);
            final List<float[]> results = survivors.run((rank, comm) -> {
                final float[] buffer = inputs[rank].clone();
                comm.allReduce(buffer);
                return buffer;
            });
            Bits.assertSameBits(results.get(0), expected, "result");
            Bits.assertSameBits(results.get(1), expected, "result");
        }
        assertNothingLeft();
    }

    @Test
    void shouldNameTheMissingNeighbourWhenTheRingNeverConnects() {
        final RingSpec ring = RingHarness.udpRing(3);
        final CommSettings settings = RingHarness.settings(DEADLINE_MS, 4096).connectTimeoutNs(
            TimeUnit.MILLISECONDS.toNanos(800));
        final long startNs = System.nanoTime();
        assertThatThrownBy(() -> Communicator.open(new CommSpec(0, 1, ring), settings,
            RingHarness.transport(baseDir, ThreadingMode.INVOKER)))
            .isInstanceOf(CollectiveTimeoutException.class)
            .hasMessageContaining("connect failed on rank 0")
            .hasMessageContaining("ranks [1, 2] did not deliver");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isLessThan(3000);
        assertNothingLeft();
    }

    @Test
    void shouldNameThePreviousRankWhenRanksDisagreeOnTheCollective() {
        try (RingHarness ring = RingHarness.ipc(2, baseDir, RingHarness.settings(DEADLINE_MS, 4096))) {
            final List<Throwable> failures = ring.runCollectingFailures((rank, comm) -> {
                comm.allReduce(new float[10 + rank]);
                return null;
            });
            for (int rank = 0; rank < 2; rank++) {
                assertThat(failures.get(rank)).as("rank %d", rank).isInstanceOf(CollectiveTimeoutException.class)
                    .hasMessageContaining("different collective");
            }
        }
        assertNothingLeft();
    }

    @Test
    void shouldDeliverEverythingWhenRanksCloseRightAfterTheirLastCollective() {
        for (final boolean udp : new boolean[] {false, true}) {
            final int length = 2_000_000;
            final RingHarness ring = udp ? RingHarness.udp(3, baseDir, RingHarness.settings(20_000, 65440))
                : RingHarness.ipc(3, baseDir, RingHarness.settings(20_000, 65440));
            try (ring) {
                final float[] whole = TestData.floats(17, 0, length);
                final Partition partition = Partition.even(length, 3);
                final List<Throwable> failures = ring.runCollectingFailures((rank, comm) -> {
                    final float[] buffer = new float[length];
                    System.arraycopy(whole, partition.offset(rank), buffer, partition.offset(rank),
                        partition.length(rank));
                    comm.allGather(buffer, 0, length, partition);
                    // the first rank done leaves at once, while its neighbour may still be reading its last chunks
                    comm.close();
                    Bits.assertSameBits(buffer, whole, String.format("%s rank %d", udp ? "udp" : "ipc", rank));
                    return null;
                });
                assertThat(failures).as(udp ? "udp" : "ipc").containsOnlyNulls();
            }
        }
        assertNothingLeft();
    }

    /** Rank 0 joins after the failure: it must fail at once (or within the deadline), naming the victim too. */
    private static Throwable joinLate(final Communicator late, final int length) {
        try {
            late.startAllReduce(3, TestData.floats(9, 0, length), 0, length).await();
            return null;
        } catch (final CollectiveException ex) {
            return ex;
        }
    }

    private static void assertNamesVictim(final Throwable failure, final int victim) {
        assertThat(failure).isInstanceOf(CollectiveTimeoutException.class);
        assertThat(((CollectiveException) failure).culpritRanks()).as(failure.getMessage()).containsExactly(victim);
    }

    private static Throwable failureOf(final Future<?> future) throws InterruptedException {
        try {
            future.get(10, TimeUnit.SECONDS);
            return null;
        } catch (final ExecutionException ex) {
            return ex.getCause();
        } catch (final TimeoutException ex) {
            throw new AssertionError("a rank hung", ex);
        }
    }

    private void assertNothingLeft() {
        try (Stream<Path> left = Files.list(baseDir)) {
            assertThat(left).as("driver directories left in %s", baseDir).isEmpty();
        } catch (final IOException ex) {
            throw new AssertionError(ex);
        }
        assertThat(Thread.getAllStackTraces().keySet())
            .filteredOn(thread -> thread.isAlive() && thread.getName().startsWith("zeroshard-comm"))
            .as("communicator threads still running").isEmpty();
    }
}
