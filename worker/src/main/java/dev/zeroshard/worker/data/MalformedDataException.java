package dev.zeroshard.worker.data;

/**
 * A data or vocabulary file whose content is wrong (as opposed to an I/O failure): the message
 * names the file and the line, offset or sizes concerned, so the user can go and look.
 */
public final class MalformedDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedDataException(final String message) {
        super(message);
    }

    public MalformedDataException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
