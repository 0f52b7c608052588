package dev.zeroshard.worker.backend;

/** The backend that was asked for by name cannot run here; the message names it and says why. */
public final class BackendUnavailableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(final String message) {
        super(message);
    }
}
