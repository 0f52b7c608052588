package dev.zeroshard.protocol.io;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/** I/O failures that say which file they were about. */
public final class IoErrors {
    private IoErrors() {
    }

    /**
     * {@code failure} when it already names a file (a {@link FileSystemException}); else an {@link IOException}
     * that says what was done to which file, e.g. {@code writing /ckpt/step-00000007/rank-00000.safetensors: No space
     * left on device}, with {@code failure} as its cause. A write to a full disk reports only "No space left on
     * device".
     */
    public static IOException naming(final IOException failure, final String doing, final Path file) {
        if (failure instanceof FileSystemException named && named.getFile() != null) {
            return failure;
        }
        return new IOException(doing + " " + file + ": " + failure.getMessage(), failure);
    }
}
