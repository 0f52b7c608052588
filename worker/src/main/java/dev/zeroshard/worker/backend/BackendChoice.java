package dev.zeroshard.worker.backend;

/**
 * The backend a request resolved to, why, and how to build its models.
 *
 * @param requested what was asked for: {@code auto}, {@code cpu} or {@code cuda}
 * @param kind      what runs
 * @param reason    why this backend (for {@code auto}, why not the other one); never empty
 * @param factory   builds models on it
 */
public record BackendChoice(String requested, BackendKind kind, String reason, GptModelFactory factory) {
    /** One log line, e.g. {@code backend auto: cpu (no CUDA device: ...)}. */
    public String describe() {
        return "backend " + requested + ": " + kind.id() + " (" + reason + ")";
    }
}
