package dev.zeroshard.worker.backend.cuda;

/** The CUDA backend cannot run here; the message says why (no GPU, no driver, kernels not built, ...). */
public final class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(final String message) {
        super(message);
    }
}
