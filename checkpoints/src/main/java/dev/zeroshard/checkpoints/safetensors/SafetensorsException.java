package dev.zeroshard.checkpoints.safetensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A safetensors file that cannot be read or written as asked: a malformed header, inconsistent offsets, a tensor
 * that does not fit the model. The message always names the file, and the tensor where one is at fault.
 */
public final class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensorName;

    /** A problem of the file as a whole (its length, its header). */
    public SafetensorsException(final Path file, final String problem) {
        this(file, null, problem, null);
    }

    /** A problem of one tensor; {@code tensorName} may be null when no single tensor is at fault. */
    public SafetensorsException(final Path file, final String tensorName, final String problem) {
        this(file, tensorName, problem, null);
    }

    /** As {@link #SafetensorsException(Path, String, String)}, keeping the cause (a JSON or I/O error). */
    public SafetensorsException(final Path file, final String tensorName, final String problem, final Throwable cause) {
        super(message(file, tensorName, problem), cause);
        this.file = file;
        this.tensorName = tensorName;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, when there is one. */
    public Optional<String> tensorName() {
        return Optional.ofNullable(tensorName);
    }

    private static String message(final Path file, final String tensorName, final String problem) {
        final StringBuilder message = new StringBuilder("safetensors file ").append(file);
        if (tensorName != null) {
            message.append(", tensor '").append(tensorName).append('\'');
        }
        return message.append(": ").append(problem).toString();
    }
}
