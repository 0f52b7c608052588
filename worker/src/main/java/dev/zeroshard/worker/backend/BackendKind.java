package dev.zeroshard.worker.backend;

import java.util.Locale;

/** The compute backends a worker can run. */
public enum BackendKind {
    CPU,
    CUDA;

    /** The name in job specs and on the command line: {@code cpu}, {@code cuda}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
