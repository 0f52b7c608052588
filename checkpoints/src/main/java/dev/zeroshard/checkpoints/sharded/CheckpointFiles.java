package dev.zeroshard.checkpoints.sharded;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.zip.CRC32C;

/** Names in a checkpoint root, and the durable-write primitives every commit step uses. */
final class CheckpointFiles {
    static final String MANIFEST = "manifest.pb";
    static final String LATEST = "latest";
    static final String STEP_PREFIX = "step-";
    static final String STAGING_PREFIX = ".staging-";

    private CheckpointFiles() {
    }

    static String stepDirectory(final long step) {
        return String.format(Locale.ROOT, "%s%08d", STEP_PREFIX, step);
    }

    static String stagingDirectory(final long step, final String runId) {
        return STAGING_PREFIX + stepDirectory(step) + "-" + runId;
    }

    static String shardFile(final int rank) {
        return String.format(Locale.ROOT, "rank-%05d.safetensors", rank);
    }

    static String doneFile(final int rank) {
        return String.format(Locale.ROOT, "rank-%05d.done", rank);
    }

    /** CRC32C of a whole file, read in 1 MiB pieces. */
    static int crc32c(final Path file) throws IOException {
        final CRC32C crc = new CRC32C();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                crc.update(buffer);
                buffer.clear();
            }
        }
        return (int) crc.getValue();
    }
}
