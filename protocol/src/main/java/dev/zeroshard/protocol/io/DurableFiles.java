package dev.zeroshard.protocol.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes that survive a crash at any moment: the old content or the new, never a mixture. */
public final class DurableFiles {
    private DurableFiles() {
    }

    /** Writes {@code bytes} to {@code target}: temporary file beside it, fsync, atomic rename, fsync of the directory. */
    public static void writeAtomically(final Path target, final byte[] bytes) throws IOException {
        final Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                final ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (final IOException ex) {
            // the target is as it was; leave no half-written temporary beside it (a full disk, for one)
            try {
                Files.deleteIfExists(temporary);
            } catch (final IOException cleanup) {
                ex.addSuppressed(cleanup);
            }
            throw IoErrors.naming(ex, "writing", target);
        }
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /** Makes a directory's entries (a rename, a new file) durable. */
    public static void fsyncDirectory(final Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
