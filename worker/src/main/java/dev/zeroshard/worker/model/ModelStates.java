package dev.zeroshard.worker.model;

/**
 * Where {@link CpuGpt} finds its parameters and puts its gradients, one unit of the {@link GptLayout} at a time
 * (the embeddings, each block, the final LayerNorm). The model tells the store when it starts and stops reading a
 * unit and when a unit's gradients are complete for the micro-batch, so a ZeRO store can gather a unit just in
 * time, free it after use and send its gradients off while backward goes on. Calls arrive in a fixed order: in
 * forward, embeddings, blocks 0..L-1, final norm with embeddings again (the tied head); in backward, the head and
 * final norm, blocks L-1..0, then the embeddings' gradients end.
 */
public interface ModelStates {
    /** Makes unit {@code unit}'s parameters readable through {@code view}. */
    void acquireParameters(int unit, ParameterView view);

    /** The model is done reading unit {@code unit} for now. */
    void releaseParameters(int unit);

    /** Backward is about to add unit {@code unit}'s gradients: point {@code view} where they go. */
    void beginGradients(int unit, GradientView view);

    /** Unit {@code unit}'s gradients for this micro-batch are complete. */
    void endGradients(int unit);
}
