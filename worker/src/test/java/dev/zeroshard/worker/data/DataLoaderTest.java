package dev.zeroshard.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
    @TempDir
    Path temp;

    /** Tokens 0, 1, 2, ...: a sequence's first input names its start. */
    private static TokenArray ramp(final int length) {
        final int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = i;
        }
        return TokenArray.wrap("ramp(" + length + ")", tokens);
    }

    @Test
    void shouldShiftTargetsByOneWhenFillingABatch() {
        final DataLoader loader = new DataLoader(ramp(100), 2, 4, 0, 0, 1, Integer.MAX_VALUE, DataLoader.Order.SEQUENTIAL);
        final int[] inputs = new int[8];
        final int[] targets = new int[8];

        loader.next(inputs, targets);
        assertThat(inputs).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(targets).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        loader.next(inputs, targets);
        assertThat(inputs).containsExactly(8, 9, 10, 11, 12, 13, 14, 15);
        assertThat(targets).containsExactly(9, 10, 11, 12, 13, 14, 15, 16);
    }

    @Test
    void shouldVisitEverySequenceOnceWhenAnEpochIsShuffled() {
        // 97 tokens, T = 4: 24 sequences, 6 batches of 4 per epoch
        final DataLoader loader = new DataLoader(ramp(97), 4, 4, 7, 0, 1);
        assertThat(loader.sequencesPerEpoch()).isEqualTo(24);
        assertThat(loader.batchesPerEpoch()).isEqualTo(6);

        final List<Integer> epoch0 = starts(loader, 6, 4, 4);
        final List<Integer> epoch1 = starts(loader, 6, 4, 4);

        final List<Integer> all = new ArrayList<>();
        for (int s = 0; s < 24; s++) {
            all.add(4 * s);
        }
        assertThat(epoch0).containsExactlyInAnyOrderElementsOf(all).isNotEqualTo(all);
        assertThat(epoch1).containsExactlyInAnyOrderElementsOf(all).isNotEqualTo(epoch0);
        assertThat(loader.position()).isEqualTo(new DataLoader.Position(1, 24));
    }

    @Test
    void shouldRepeatTheOrderWhenSeedIsTheSame() {
        final List<Integer> first = starts(new DataLoader(ramp(1000), 3, 8, 99, 0, 1), 20, 3, 8);
        final List<Integer> again = starts(new DataLoader(ramp(1000), 3, 8, 99, 0, 1), 20, 3, 8);
        final List<Integer> other = starts(new DataLoader(ramp(1000), 3, 8, 100, 0, 1), 20, 3, 8);

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void shouldKeepTheGlobalOrderWhenTheShuffleIsFixedByThisCode() {
        // the order is part of the checkpoint contract: a change here breaks resumed jobs
        assertThat(DataLoader.shuffle(10, 42, 0, null)).containsExactly(1, 3, 4, 6, 5, 8, 0, 2, 9, 7);
        assertThat(DataLoader.shuffle(10, 42, 1, null)).containsExactly(6, 0, 9, 2, 4, 7, 1, 3, 5, 8);
    }

    @Test
    void shouldMatchReferenceSplitMix64WhenSeeded() {
        // the first outputs of Vigna's splitmix64.c for seed 1234567
        final DataLoader.SplitMix64 random = new DataLoader.SplitMix64(1234567);
        assertThat(random.nextLong()).isEqualTo(6457827717110365317L);
        assertThat(random.nextLong()).isEqualTo(3203168211198807973L);
        assertThat(Long.toUnsignedString(random.nextLong())).isEqualTo("9817491932198370423");
    }

    @Test
    void shouldDrawEveryValueWhenBoundIsSmall() {
        final DataLoader.SplitMix64 random = new DataLoader.SplitMix64(5);
        final int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) {
            counts[random.nextInt(7)]++;
        }
        assertThat(IntStream.of(counts).boxed().toList()).allMatch(c -> c > 9_500 && c < 10_500);
    }

    @Test
    void shouldGiveTheSameGlobalBatchWhenWorldSizeChanges() {
        // 12 sequences per global batch, 61 sequences per epoch: 5 steps and 1 left over each epoch
        final TokenArray tokens = ramp(61 * 16 + 1);
        final int globalBatch = 12;
        final int steps = 17;
        final List<List<Integer>> reference = globalBatches(tokens, 1, globalBatch, steps);
        for (final int worldSize : new int[] {2, 3, 4, 6, 12}) {
            assertThat(globalBatches(tokens, worldSize, globalBatch / worldSize, steps))
                .as("worldSize %d", worldSize)
                .isEqualTo(reference);
        }
        // and the same sequences are never repeated within an epoch
        assertThat(reference.subList(0, 5).stream().flatMap(List::stream).distinct().count()).isEqualTo(60);
    }

    @Test
    void shouldContinueExactlyWhenPositionIsRestored() {
        final TokenArray tokens = ramp(5000);
        final DataLoader original = new DataLoader(tokens, 4, 16, 3, 0, 1);
        final int[] inputs = new int[64];
        final int[] targets = new int[64];
        for (int step = 0; step < 150; step++) {
            original.next(inputs, targets);
        }
        final DataLoader.Position saved = original.position();
        final List<Integer> expected = starts(original, 100, 4, 16);

        final DataLoader resumed = new DataLoader(tokens, 4, 16, 3, 0, 1);
        resumed.seek(saved);
        assertThat(starts(resumed, 100, 4, 16)).isEqualTo(expected);

        // the same position resumes two ranks of B = 2 onto the same global batches
        final DataLoader rank0 = new DataLoader(tokens, 2, 16, 3, 0, 2);
        final DataLoader rank1 = new DataLoader(tokens, 2, 16, 3, 1, 2);
        rank0.seek(saved);
        rank1.seek(saved);
        final List<Integer> sharded = new ArrayList<>();
        for (int step = 0; step < 100; step++) {
            sharded.addAll(starts(rank0, 1, 2, 16));
            sharded.addAll(starts(rank1, 1, 2, 16));
        }
        assertThat(sharded).isEqualTo(expected);
    }

    @Test
    void shouldNameFileAndOffsetWhenTokenExceedsVocabulary() throws IOException {
        final int[] tokens = new int[100];
        tokens[37] = 300;
        final Path path = temp.resolve("bad.bin");
        TokenFile.write(path, tokens);
        final TokenFile file = TokenFile.open(path);

        assertThatThrownBy(() -> new DataLoader(file, 2, 8, 0, 0, 1, 256, DataLoader.Order.SHUFFLED))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(path.toString())
            .hasMessageContaining("token 300")
            .hasMessageContaining("token index 37 (byte offset 1098)")
            .hasMessageContaining("256");
        assertThat(new DataLoader(file, 2, 8, 0, 0, 1, 301, DataLoader.Order.SHUFFLED).sequencesPerEpoch()).isEqualTo(12);
    }

    @Test
    void shouldRefuseDataWhenShorterThanOneSequence() {
        assertThatThrownBy(() -> new DataLoader(ramp(8), 1, 8, 0, 0, 1))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("ramp(8)")
            .hasMessageContaining("8 tokens")
            .hasMessageContaining("seqLen + 1 = 9");
    }

    @Test
    void shouldRefuseDataWhenShorterThanOneGlobalBatch() {
        // 4 ranks x B = 2 x T = 8 needs 8 sequences = 65 tokens
        assertThat(new DataLoader(ramp(65), 2, 8, 0, 3, 4).batchesPerEpoch()).isEqualTo(1);
        assertThatThrownBy(() -> new DataLoader(ramp(64), 2, 8, 0, 3, 4))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("64 tokens = 7 sequences")
            .hasMessageContaining("2 * 4 = 8")
            .hasMessageContaining("at least 65 tokens");
    }

    @Test
    void shouldRefuseRankWhenOutsideWorld() {
        assertThatThrownBy(() -> new DataLoader(ramp(1000), 2, 8, 0, 2, 2))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("rank=2");
        assertThatThrownBy(() -> new DataLoader(ramp(1000), 0, 8, 0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DataLoader(ramp(1000), 2, 8, 0, 0, 1).next(new int[15], new int[16]))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("16");
    }

    @Test
    void shouldReadTokenFilesWhenLoadingBatches() throws IOException {
        // token i is 7i, so a sequence's first input names its start
        final int[] tokens = new int[1025];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 7 * i;
        }
        final Path path = temp.resolve("train.bin");
        TokenFile.write(path, tokens);
        final DataLoader loader = new DataLoader(TokenFile.open(path), 4, 32, 1, 0, 1, 50257, DataLoader.Order.SHUFFLED);
        final int[] inputs = new int[128];
        final int[] targets = new int[128];

        for (int step = 0; step < 20; step++) {
            loader.next(inputs, targets);
            for (int b = 0; b < 4; b++) {
                final int start = inputs[b * 32] / 7;
                assertThat(start % 32).isZero();
                for (int t = 0; t < 32; t++) {
                    assertThat(inputs[b * 32 + t]).isEqualTo(tokens[start + t]);
                    assertThat(targets[b * 32 + t]).isEqualTo(tokens[start + t + 1]);
                }
            }
        }
    }

    /** Start token of every sequence in {@code steps} batches (the ramp makes the first input the start). */
    private static List<Integer> starts(final DataLoader loader, final int steps, final int batchSize, final int seqLen) {
        final int[] inputs = new int[batchSize * seqLen];
        final int[] targets = new int[batchSize * seqLen];
        final List<Integer> starts = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            loader.next(inputs, targets);
            for (int b = 0; b < batchSize; b++) {
                starts.add(inputs[b * seqLen]);
            }
        }
        return starts;
    }

    /** Per step, the sequences of all ranks in rank order. */
    private static List<List<Integer>> globalBatches(final TokenArray tokens, final int worldSize, final int batchSize,
        final int steps) {
        final DataLoader[] ranks = new DataLoader[worldSize];
        for (int r = 0; r < worldSize; r++) {
            ranks[r] = new DataLoader(tokens, batchSize, 16, 2024, r, worldSize);
        }
        final List<List<Integer>> batches = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            final List<Integer> global = new ArrayList<>();
            for (final DataLoader rank : ranks) {
                global.addAll(starts(rank, 1, batchSize, 16));
            }
            batches.add(global);
        }
        return batches;
    }
}
