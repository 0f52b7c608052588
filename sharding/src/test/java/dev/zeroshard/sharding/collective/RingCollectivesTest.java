package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.numeric.Bf16;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every collective on N = 1, 2, 3, 4, 8 ranks as threads over IPC, with a 64-element chunk so that short
 * buffers already cross many chunks, against the sequential reference of {@link RingSchedule}: exact in fp32,
 * one rounding in bf16, and the same bits on every rank.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingCollectivesTest {
    private static final int CHUNK_BYTES = 256;

    @TempDir
    Path baseDir;

    /** Lengths around the interesting edges: empty, one element, fewer than N, not divisible by N, many chunks. */
    private static int[] lengths(final int worldSize) {
        return new int[] {0, 1, worldSize - 1 + 2, 997, 64 * worldSize * 3 + 5};
    }

    private RingHarness ring(final int worldSize) {
        return RingHarness.ipc(worldSize, baseDir, RingHarness.settings(20_000, CHUNK_BYTES));
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void shouldEqualTheRingOrderSumBitForBitWhenAllReducingFp32(final int worldSize) {
        try (RingHarness ring = ring(worldSize)) {
            for (final int length : lengths(worldSize)) {
                final float[][] inputs = TestData.floatsPerRank(length, worldSize, length);
                final float[] expected = new float[length];
                RingSchedule.referenceSum(inputs, 0, Partition.even(length, worldSize), expected, 0);
                final List<float[]> results = ring.run((rank, comm) -> {
                    final float[] buffer = inputs[rank].clone();
                    comm.allReduce(buffer);
                    return buffer;
                });
                for (int rank = 0; rank < worldSize; rank++) {
                    Bits.assertSameBits(results.get(rank), expected, String.format("rank %d, length %d", rank, length));
                }
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void shouldAccumulateInFp32AndRoundOnceWhenAllReducingBf16(final int worldSize) {
        try (RingHarness ring = ring(worldSize)) {
            for (final int length : lengths(worldSize)) {
                final short[][] inputs = TestData.bf16PerRank(length + 7, worldSize, length);
                final short[] expected = new short[length];
                RingSchedule.referenceSumBf16(inputs, 0, Partition.even(length, worldSize), expected, 0);
                final List<short[]> results = ring.run((rank, comm) -> {
                    final short[] buffer = inputs[rank].clone();
                    comm.allReduce(buffer, 0, length);
                    return buffer;
                });
                for (int rank = 0; rank < worldSize; rank++) {
                    Bits.assertSameBits(results.get(rank), expected, String.format("rank %d, length %d", rank, length));
                }
                assertWithinOneBf16UlpOfRankOrderSum(inputs, results.get(0));
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void shouldLeaveEveryOwnerTheSumOfItsSegmentWhenReduceScattering(final int worldSize) {
        try (RingHarness ring = ring(worldSize)) {
            for (final Partition partition : partitions(worldSize)) {
                final int length = partition.length();
                final float[][] inputs = TestData.floatsPerRank(31 + length, worldSize, length);
                final float[] expected = new float[length];
                RingSchedule.referenceSum(inputs, 0, partition, expected, 0);
                final short[][] bf16Inputs = TestData.bf16PerRank(37 + length, worldSize, length);
                final short[] bf16Expected = new short[length];
                RingSchedule.referenceSumBf16(bf16Inputs, 0, partition, bf16Expected, 0);
                final int offset = 3;
                ring.run((rank, comm) -> {
                    final float[] buffer = new float[offset + length + 2];
                    System.arraycopy(inputs[rank], 0, buffer, offset, length);
                    comm.reduceScatter(buffer, offset, length, partition);
                    final short[] bf16 = new short[offset + length];
                    System.arraycopy(bf16Inputs[rank], 0, bf16, offset, length);
                    comm.reduceScatter(bf16, offset, length, partition);
                    final int start = partition.offset(rank);
                    for (int i = start; i < start + partition.length(rank); i++) {
                        assertThat(buffer[offset + i]).as("rank %d element %d of %s", rank, i, partition)
                            .isEqualTo(expected[i]);
                        assertThat(bf16[offset + i]).as("bf16 rank %d element %d of %s", rank, i, partition)
                            .isEqualTo(bf16Expected[i]);
                    }
                    assertThat(buffer[offset - 1]).as("outside the range").isZero();
                    assertThat(buffer[offset + length]).as("outside the range").isZero();
                    return null;
                });
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void shouldFillEverySegmentFromItsOwnerWhenAllGathering(final int worldSize) {
        try (RingHarness ring = ring(worldSize)) {
            for (final Partition partition : partitions(worldSize)) {
                final int length = partition.length();
                final float[] whole = TestData.floats(41 + length, 0, length);
                final short[] wholeBf16 = TestData.bf16(43 + length, 0, length);
                final List<float[]> results = ring.run((rank, comm) -> {
                    final float[] buffer = new float[length];
                    final short[] bf16 = new short[length];
                    final int start = partition.offset(rank);
                    System.arraycopy(whole, start, buffer, start, partition.length(rank));
                    System.arraycopy(wholeBf16, start, bf16, start, partition.length(rank));
                    comm.allGather(buffer, 0, length, partition);
                    comm.allGather(bf16, 0, length, partition);
                    Bits.assertSameBits(bf16, wholeBf16, String.format("bf16 on rank %d, %s", rank, partition));
                    return buffer;
                });
                for (int rank = 0; rank < worldSize; rank++) {
                    Bits.assertSameBits(results.get(rank), whole, String.format("rank %d, %s", rank, partition));
                }
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void shouldCopyTheRootsBufferToEveryRankWhenBroadcasting(final int worldSize) {
        try (RingHarness ring = ring(worldSize)) {
            for (int root = 0; root < worldSize; root++) {
                final int length = 1000 + root;
                final int from = root;
                final float[][] inputs = TestData.floatsPerRank(53 + root, worldSize, length);
                final short[][] bf16Inputs = TestData.bf16PerRank(59 + root, worldSize, length);
                ring.run((rank, comm) -> {
                    final float[] buffer = inputs[rank].clone();
                    final short[] bf16 = bf16Inputs[rank].clone();
                    comm.broadcast(buffer, 0, length, from);
                    comm.broadcast(bf16, 0, length, from);
                    Bits.assertSameBits(buffer, inputs[from], String.format("rank %d from root %d", rank, from));
                    Bits.assertSameBits(bf16, bf16Inputs[from], String.format("bf16 rank %d from root %d", rank, from));
                    return null;
                });
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {2, 3, 4, 8})
    void shouldHoldEveryRankUntilTheLastArrivesWhenBarrier(final int worldSize) {
        try (RingHarness ring = ring(worldSize)) {
            final List<CollectiveHandle> early = new ArrayList<>();
            for (int rank = 0; rank < worldSize - 1; rank++) {
                early.add(ring.communicator(rank).startBarrier());
            }
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> early.stream().noneMatch(CollectiveHandle::isDone));
            final CollectiveHandle last = ring.communicator(worldSize - 1).startBarrier();
            for (final CollectiveHandle handle : early) {
                handle.await();
            }
            last.await();
        }
    }

    @Test
    void shouldCompleteAtOnceWithoutAeronWhenTheWorldIsOneRank() {
        try (RingHarness ring = ring(1)) {
            final Communicator comm = ring.communicator(0);
            assertThat(comm.aeronDirectoryName()).isNull();
            final float[] buffer = TestData.floats(1, 0, 10);
            final float[] copy = buffer.clone();
            comm.allReduce(buffer);
            comm.barrier();
            Bits.assertSameBits(buffer, copy, "result");
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {2, 3, 4})
    void shouldGiveTheSameBitsWhateverTheChunkAndTransport(final int worldSize) {
        final int length = 100_003;
        final float[][] inputs = TestData.floatsPerRank(97, worldSize, length);
        final List<float[]> smallChunks;
        try (RingHarness ring = ring(worldSize)) {
            smallChunks = ring.run((rank, comm) -> {
                final float[] buffer = inputs[rank].clone();
                comm.allReduce(buffer);
                return buffer;
            });
        }
        final List<float[]> udpDefaultChunks;
        try (RingHarness ring = RingHarness.udp(worldSize, baseDir,
            RingHarness.settings(20_000, CommSettings.CHUNK_LENGTH_DEFAULT))) {
            udpDefaultChunks = ring.run((rank, comm) -> {
                final float[] buffer = inputs[rank].clone();
                comm.allReduce(buffer);
                final float[] again = inputs[rank].clone();
                comm.allReduce(again);
                Bits.assertSameBits(again, buffer, String.format("second run on rank %d", rank));
                return buffer;
            });
        }
        for (int rank = 0; rank < worldSize; rank++) {
            Bits.assertSameBits(udpDefaultChunks.get(rank), smallChunks.get(0), String.format("rank %d", rank));
        }
    }

    /**
     * The same collectives over floats in Agrona buffers, off the heap (as pinned host memory is) and over a
     * {@code byte[]}: the same bits as over a {@code float[]}, and nothing outside the range touched.
     */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void shouldGiveTheArraysBitsOverFloatsInAgronaBuffers(final int worldSize) {
        final int offset = 3;
        final int guard = 2;
        try (RingHarness ring = ring(worldSize)) {
            for (final Partition partition : partitions(worldSize)) {
                final int length = partition.length();
                final float[][] inputs = TestData.floatsPerRank(61 + length, worldSize, length);
                final float[] sum = new float[length];
                RingSchedule.referenceSum(inputs, 0, partition, sum, 0);
                final int root = worldSize - 1;
                ring.run((rank, comm) -> {
                    for (final boolean offHeap : new boolean[] {true, false}) {
                        final String what = String.format("rank %d, %s, %s", rank, offHeap ? "off-heap" : "byte[]",
                            partition);
                        final int bytes = Float.BYTES * (offset + length + guard);
                        final UnsafeBuffer buffer = offHeap
                            ? new UnsafeBuffer(ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder()))
                            : new UnsafeBuffer(new byte[bytes]);
                        final float sentinel = 7.5f;
                        for (int i = 0; i < offset + length + guard; i++) {
                            buffer.putFloat(Float.BYTES * i, sentinel, ByteOrder.nativeOrder());
                        }

                        fill(buffer, offset, inputs[rank]);
                        comm.startAllReduce(-1, buffer, offset, length, partition).await();
                        Bits.assertSameBits(read(buffer, offset, length), sum, "allreduce on " + what);

                        fill(buffer, offset, inputs[rank]);
                        comm.startReduceScatter(-1, buffer, offset, length, partition).await();
                        final float[] scattered = read(buffer, offset, length);
                        for (int i = partition.offset(rank); i < partition.offset(rank + 1); i++) {
                            assertThat(scattered[i]).as("reduce-scatter element %d on %s", i, what).isEqualTo(sum[i]);
                        }

                        comm.startAllGather(-1, buffer, offset, length, partition).await();
                        final float[] whole = read(buffer, offset, length);
                        for (int i = 0; i < length; i++) {
                            assertThat(whole[i]).as("allgather element %d on %s", i, what).isEqualTo(sum[i]);
                        }

                        fill(buffer, offset, inputs[rank]);
                        comm.startBroadcast(-1, buffer, offset, length, root).await();
                        Bits.assertSameBits(read(buffer, offset, length), inputs[root], "broadcast on " + what);

                        for (final int outside : new int[] {0, offset - 1, offset + length, offset + length + 1}) {
                            assertThat(buffer.getFloat(Float.BYTES * outside, ByteOrder.nativeOrder()))
                                .as("element %d outside the range on %s", outside, what).isEqualTo(sentinel);
                        }
                    }
                    return null;
                });
            }
        }
    }

    private static void fill(final UnsafeBuffer buffer, final int offset, final float[] values) {
        for (int i = 0; i < values.length; i++) {
            buffer.putFloat(Float.BYTES * (offset + i), values[i], ByteOrder.nativeOrder());
        }
    }

    private static float[] read(final UnsafeBuffer buffer, final int offset, final int length) {
        final float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = buffer.getFloat(Float.BYTES * (offset + i), ByteOrder.nativeOrder());
        }
        return values;
    }

    /** Even, everything on the last rank, everything on the first, and a ragged one. */
    private static List<Partition> partitions(final int worldSize) {
        final List<Partition> partitions = new ArrayList<>();
        partitions.add(Partition.even(64 * worldSize * 2 + 3, worldSize));
        partitions.add(Partition.even(1, worldSize));
        final int[] allLast = new int[worldSize + 1];
        allLast[worldSize] = 333;
        partitions.add(Partition.of(allLast));
        final int[] allFirst = new int[worldSize + 1];
        for (int rank = 1; rank <= worldSize; rank++) {
            allFirst[rank] = 150;
        }
        partitions.add(Partition.of(allFirst));
        final int[] ragged = new int[worldSize + 1];
        for (int rank = 1; rank <= worldSize; rank++) {
            ragged[rank] = ragged[rank - 1] + (rank % 2 == 0 ? 0 : 70 * rank + 1);
        }
        partitions.add(Partition.of(ragged));
        return partitions;
    }

    /**
     * Against the rank-order sum 0..N-1 (also fp32-accumulated, rounded once), the ring's result is within one
     * bf16 ulp plus what reordering fp32 additions can change: N half-ulps of fp32 at the largest magnitude summed.
     */
    private static void assertWithinOneBf16UlpOfRankOrderSum(final short[][] inputs, final short[] result) {
        for (int i = 0; i < result.length; i++) {
            float sum = 0f;
            float magnitude = 0f;
            for (final short[] input : inputs) {
                sum += Bf16.toFloat(input[i]);
                magnitude += Math.abs(Bf16.toFloat(input[i]));
            }
            final float reference = Bf16.round(sum);
            final float bf16Ulp = Math.ulp(reference) * 65536f;
            final float reorderBound = inputs.length * Math.ulp(magnitude);
            assertThat(Math.abs(Bf16.toFloat(result[i]) - reference)).as("element %d", i)
                .isLessThanOrEqualTo(bf16Ulp + reorderBound);
        }
    }
}
