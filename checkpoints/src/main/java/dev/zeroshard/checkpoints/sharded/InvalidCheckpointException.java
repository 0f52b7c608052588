package dev.zeroshard.checkpoints.sharded;

import java.nio.file.Path;

/** A checkpoint that must not be loaded: names the file and what is wrong with it. */
public final class InvalidCheckpointException extends RuntimeException {
    private final transient Path file;

    public InvalidCheckpointException(final Path file, final String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public InvalidCheckpointException(final Path file, final String problem, final Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file (or directory) at fault. */
    public Path file() {
        return file;
    }
}
