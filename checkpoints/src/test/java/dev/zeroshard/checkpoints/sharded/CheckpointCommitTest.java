package dev.zeroshard.checkpoints.sharded;

import dev.zeroshard.protocol.v1.CheckpointManifest;
import dev.zeroshard.protocol.v1.DataPosition;
import dev.zeroshard.protocol.v1.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointCommitTest {
    private static final int ELEMENTS = 1001;
    private static final int WORLD = 3;
    private static final ModelConfig MODEL = ModelConfig.newBuilder().setVocabSize(64).setNPositions(16)
        .setNEmbd(8).setNLayer(1).setNHead(2).build();

    @TempDir
    Path root;

    /** The three arrays of every element at a step: deterministic from the step, so any load can be checked. */
    private static float[][] states(final long step) {
        final SplittableRandom random = new SplittableRandom(step);
        final float[][] states = new float[3][ELEMENTS];
        for (final float[] state : states) {
            for (int i = 0; i < ELEMENTS; i++) {
                state[i] = (float) random.nextGaussian();
            }
        }
        return states;
    }

    private static CheckpointManifest manifest(final long step) {
        return CheckpointManifest.newBuilder().setFormatVersion(Checkpoint.FORMAT_VERSION).setStep(step)
            .setOptimizerStep(step).setModel(MODEL).setWorldSize(WORLD).setZeroStage(2).setTotalElements(ELEMENTS)
            .setData(DataPosition.newBuilder().setEpoch(0).setIndex((int) step * 12)).setSeed(7).build();
    }

    /** Every rank writes its shard of {@code step} and rank 0 commits, as the ranks of a job do. */
    private void save(final long step, final String runId, final FaultInjector faults) throws Exception {
        final CheckpointStore store = new CheckpointStore(root);
        final float[][] states = states(step);
        final int shard = (ELEMENTS + WORLD - 1) / WORLD;
        for (int rank = 0; rank < WORLD; rank++) {
            final int start = Math.min(ELEMENTS, rank * shard);
            final int end = Math.min(ELEMENTS, start + shard);
            ShardWriter.write(store.staging(step, runId), new ShardSnapshot(rank, start, end,
                Arrays.copyOfRange(states[0], start, end), Arrays.copyOfRange(states[1], start, end),
                Arrays.copyOfRange(states[2], start, end)), faults);
        }
        CheckpointCommitter.commit(root, store.staging(step, runId), manifest(step), TimeUnit.SECONDS.toNanos(5),
            faults);
    }

    private static void assertHolds(final Checkpoint checkpoint) throws IOException {
        final float[][] expected = states(checkpoint.step());
        final float[] actual = new float[ELEMENTS];
        final Checkpoint.State[] kinds = Checkpoint.State.values();
        for (int k = 0; k < kinds.length; k++) {
            checkpoint.read(kinds[k], 0, ELEMENTS, actual, 0);
            assertThat(actual).as(kinds[k] + " of step " + checkpoint.step()).containsExactly(expected[k]);
        }
    }

    @Test
    void shouldLeaveALoadableCheckpointWhenTheSaveCrashesAtAnyPoint() throws Exception {
        save(1, "first", FaultInjector.NONE);
        int crashes = 0;
        long step = 2;
        for (final CommitPoint point : CommitPoint.values()) {
            for (int rank = point.ordinal() < CommitPoint.MANIFEST_WRITTEN.ordinal() ? 0 : -1;
                 rank < (point.ordinal() < CommitPoint.MANIFEST_WRITTEN.ordinal() ? WORLD : 0); rank++) {
                final int victim = rank;
                final FaultInjector crash = (reached, who) -> {
                    if (reached == point && who == victim) {
                        throw new IOException("injected crash at " + point + " of rank " + victim);
                    }
                };
                assertThatThrownBy(() -> save(step, "crash" + point + victim, crash)).hasMessageContaining("injected");
                crashes++;

                final List<String> warnings = new ArrayList<>();
                final Optional<Checkpoint> latest = new CheckpointStore(root).resolve("latest", warnings::add);
                assertThat(latest).as("after a crash at " + point + " of rank " + victim).isPresent();
                assertHolds(latest.get());
                assertThat(latest.get().step()).isIn(step - 1, step);
                save(step, "retry" + point + victim, FaultInjector.NONE);
                assertThat(new CheckpointStore(root).resolve("latest", warnings::add).orElseThrow().step())
                    .isEqualTo(step);
            }
        }
        assertThat(crashes).isEqualTo(2 * WORLD + 4);
    }

    @Test
    void shouldRefuseAMissingTruncatedOrCorruptShardNamingTheFile() throws Exception {
        save(5, "run", FaultInjector.NONE);
        final Path directory = root.resolve("step-00000005");
        final Path shard1 = directory.resolve("rank-00001.safetensors");
        final byte[] original = Files.readAllBytes(shard1);

        try (RandomAccessFile file = new RandomAccessFile(shard1.toFile(), "rw")) {
            file.seek(original.length - 3);
            file.write(original[original.length - 3] ^ 0x40);
        }
        assertThatThrownBy(() -> Checkpoint.open(directory).verify()).isInstanceOf(InvalidCheckpointException.class)
            .hasMessageContaining("rank-00001.safetensors").hasMessageContaining("checksum mismatch");

        Files.write(shard1, Arrays.copyOf(original, original.length - 100));
        assertThatThrownBy(() -> Checkpoint.open(directory).verify())
            .hasMessageContaining("rank-00001.safetensors").hasMessageContaining("truncated");

        Files.delete(shard1);
        assertThatThrownBy(() -> Checkpoint.open(directory).verify())
            .hasMessageContaining("rank-00001.safetensors").hasMessageContaining("missing (rank 1's shard)");

        assertThatThrownBy(() -> Checkpoint.open(directory).checkModel(MODEL.toBuilder().setNEmbd(16).build()))
            .hasMessageContaining("manifest.pb").hasMessageContaining("n_embd is 8 there and 16 in this job");
    }

    @Test
    void shouldFallBackFromAnInvalidLatestToTheNewestValidCheckpointSayingSo() throws Exception {
        save(1, "run", FaultInjector.NONE);
        save(2, "run", FaultInjector.NONE);
        Files.delete(root.resolve("step-00000002").resolve("rank-00002.safetensors"));

        final List<String> warnings = new ArrayList<>();
        final Checkpoint latest = new CheckpointStore(root).resolve("latest", warnings::add).orElseThrow();

        assertThat(latest.step()).isEqualTo(1);
        assertHolds(latest);
        assertThat(String.join("\n", warnings)).contains("latest points at an invalid checkpoint",
            "rank-00002.safetensors", "missing", "resuming from");
    }

    @Test
    void shouldKeepTheLastKAndTheLoadedOne() throws Exception {
        for (long step = 1; step <= 5; step++) {
            save(step, "run", FaultInjector.NONE);
        }
        final CheckpointStore store = new CheckpointStore(root);
        store.retain(2, Set.of(root.resolve("step-00000001").toAbsolutePath().normalize()), "run");

        assertThat(store.list(true)).extracting(CheckpointStore.Entry::step).containsExactly(5L, 4L, 1L);
        assertThat(store.resolve("latest", w -> { }).orElseThrow().step()).isEqualTo(5);
    }

    @Test
    void shouldReadAnyRangeAcrossShardBoundaries() throws Exception {
        save(3, "run", FaultInjector.NONE);
        final Checkpoint checkpoint = Checkpoint.open(root.resolve("step-00000003")).verify();
        final float[] expected = states(3)[1];
        final float[] range = new float[500];

        checkpoint.read(Checkpoint.State.EXP_AVG, 300, 500, range, 0);

        assertThat(range).containsExactly(Arrays.copyOfRange(expected, 300, 800));
        assertThat(checkpoint.trainingState()).isEqualTo(new TrainingState(3, 3, 0, 36));
    }

    @Test
    void shouldSayWhichRankDidNotDeliverItsShard() throws Exception {
        final CheckpointStore store = new CheckpointStore(root);
        ShardWriter.write(store.staging(9, "run"), new ShardSnapshot(0, 0, 334, new float[334], new float[334],
            new float[334]), FaultInjector.NONE);

        assertThatThrownBy(() -> CheckpointCommitter.commit(root, store.staging(9, "run"), manifest(9),
            TimeUnit.MILLISECONDS.toNanos(200), FaultInjector.NONE))
            .hasMessageContaining("rank(s) [1, 2] did not write their shard").hasMessageContaining("step 9");
        assertThat(store.list(false)).isEmpty();
    }
}
