package dev.zeroshard.checkpoints.sharded;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.zeroshard.checkpoints.safetensors.SafetensorsReader;
import dev.zeroshard.protocol.v1.CheckpointManifest;
import dev.zeroshard.protocol.v1.ModelConfig;
import dev.zeroshard.protocol.v1.ShardFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A committed checkpoint directory: its manifest, and reads of any range of the flat buffer's master weights or
 * moments across whichever shards hold it, so a job of any world size and stage loads its own shard directly
 * (no offline conversion).
 */
public final class Checkpoint {
    /** Format this build writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** What a range read returns. */
    public enum State {
        MASTER(ShardWriter.MASTER),
        EXP_AVG(ShardWriter.EXP_AVG),
        EXP_AVG_SQ(ShardWriter.EXP_AVG_SQ);

        final String tensor;

        State(final String tensor) {
            this.tensor = tensor;
        }
    }

    private final Path directory;
    private final CheckpointManifest manifest;

    private Checkpoint(final Path directory, final CheckpointManifest manifest) {
        this.directory = directory;
        this.manifest = manifest;
    }

    /**
     * Opens a checkpoint directory and reads its manifest (the shards are checked by {@link #verify()}).
     *
     * @throws InvalidCheckpointException when the manifest is missing, unreadable or of an unknown format.
     */
    public static Checkpoint open(final Path directory) {
        final Path file = directory.resolve(CheckpointFiles.MANIFEST);
        final CheckpointManifest manifest;
        try {
            manifest = CheckpointManifest.parseFrom(Files.readAllBytes(file));
        } catch (final NoSuchFileException ex) {
            throw new InvalidCheckpointException(file, "missing: not a committed checkpoint");
        } catch (final InvalidProtocolBufferException ex) {
            throw new InvalidCheckpointException(file, "not a checkpoint manifest (" + ex.getMessage() + ")", ex);
        } catch (final IOException ex) {
            throw new InvalidCheckpointException(file, "cannot be read: " + ex.getMessage(), ex);
        }
        if (manifest.getFormatVersion() != FORMAT_VERSION) {
            throw new InvalidCheckpointException(file, "format version " + manifest.getFormatVersion()
                + "; this build reads version " + FORMAT_VERSION);
        }
        if (manifest.getShardsCount() != manifest.getWorldSize() || manifest.getWorldSize() < 1) {
            throw new InvalidCheckpointException(file, "lists " + manifest.getShardsCount() + " shards for world size "
                + manifest.getWorldSize());
        }
        return new Checkpoint(directory, manifest);
    }

    public Path directory() {
        return directory;
    }

    public CheckpointManifest manifest() {
        return manifest;
    }

    public long step() {
        return manifest.getStep();
    }

    /** The training state to resume. */
    public TrainingState trainingState() {
        return new TrainingState(manifest.getStep(), manifest.getOptimizerStep(), manifest.getData().getEpoch(),
            manifest.getData().getIndex());
    }

    /** Bytes of all shard files, as the manifest records them. */
    public long sizeBytes() {
        return manifest.getShardsList().stream().mapToLong(ShardFile::getSizeBytes).sum();
    }

    /**
     * Checks that every shard file is there, has the recorded size and the recorded CRC32C.
     *
     * @throws InvalidCheckpointException naming the first file that is missing, truncated or corrupt.
     */
    public Checkpoint verify() {
        return verify(true);
    }

    /** As {@link #verify()}; without {@code checksums} only presence and sizes are checked (no data is read). */
    public Checkpoint verify(final boolean checksums) {
        for (final ShardFile shard : manifest.getShardsList()) {
            final Path file = directory.resolve(shard.getFile());
            try {
                if (!Files.exists(file)) {
                    throw new InvalidCheckpointException(file, "missing (rank " + shard.getRank() + "'s shard)");
                }
                final long size = Files.size(file);
                if (size != shard.getSizeBytes()) {
                    throw new InvalidCheckpointException(file, (size < shard.getSizeBytes() ? "truncated: " : "wrong size: ")
                        + size + " bytes, the manifest says " + shard.getSizeBytes());
                }
                final int crc = checksums ? CheckpointFiles.crc32c(file) : shard.getCrc32C();
                if (crc != shard.getCrc32C()) {
                    throw new InvalidCheckpointException(file, String.format("checksum mismatch: CRC32C %08x, the "
                        + "manifest says %08x", crc, shard.getCrc32C()));
                }
            } catch (final IOException ex) {
                throw new InvalidCheckpointException(file, "cannot be read: " + ex.getMessage(), ex);
            }
        }
        return this;
    }

    /**
     * Refuses a checkpoint of another model: the architecture must match {@code model} exactly.
     *
     * @throws InvalidCheckpointException naming the manifest and the first field that differs.
     */
    public void checkModel(final ModelConfig model) {
        final ModelConfig saved = manifest.getModel();
        final String[][] fields = {
            {"vocab_size", Long.toString(saved.getVocabSize()), Long.toString(model.getVocabSize())},
            {"n_positions", Long.toString(saved.getNPositions()), Long.toString(model.getNPositions())},
            {"n_embd", Long.toString(saved.getNEmbd()), Long.toString(model.getNEmbd())},
            {"n_layer", Long.toString(saved.getNLayer()), Long.toString(model.getNLayer())},
            {"n_head", Long.toString(saved.getNHead()), Long.toString(model.getNHead())},
            {"n_inner", Long.toString(saved.getNInner()), Long.toString(model.getNInner())}};
        for (final String[] field : fields) {
            if (!field[1].equals(field[2])) {
                throw new InvalidCheckpointException(directory.resolve(CheckpointFiles.MANIFEST), "a checkpoint of "
                    + "another model: " + field[0] + " is " + field[1] + " there and " + field[2] + " in this job");
            }
        }
    }

    /**
     * Reads elements {@code [start, start + length)} of {@code state} into {@code dst[offset..]}, from every shard
     * that holds part of the range.
     */
    public void read(final State state, final long start, final int length, final float[] dst, final int offset)
        throws IOException {
        final long end = start + length;
        if (start < 0 || end > manifest.getTotalElements()) {
            throw new IndexOutOfBoundsException("range [" + start + ", " + end + ") is outside the checkpoint's "
                + manifest.getTotalElements() + " elements");
        }
        for (final ShardFile shard : manifest.getShardsList()) {
            final long from = Math.max(start, shard.getStart());
            final long to = Math.min(end, shard.getEnd());
            if (from >= to) {
                continue;
            }
            final Path file = directory.resolve(shard.getFile());
            try (SafetensorsReader reader = SafetensorsReader.open(file)) {
                reader.readRange(state.tensor, from - shard.getStart(), (int) (to - from), dst,
                    offset + (int) (from - start));
            } catch (final NoSuchFileException ex) {
                throw new InvalidCheckpointException(file, "missing (rank " + shard.getRank() + "'s shard)", ex);
            }
        }
    }

    @Override
    public String toString() {
        return directory.toString();
    }
}
