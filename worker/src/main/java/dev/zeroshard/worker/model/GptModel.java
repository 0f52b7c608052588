package dev.zeroshard.worker.model;

import org.agrona.MutableDirectBuffer;

/**
 * A GPT-2 instance on one backend: its flat compute parameters and gradients (in the order of
 * {@link GptLayout}), and forward/backward over one micro-batch of fixed shape (B,T).
 *
 * <p>A model built on a {@link ModelStates} store (a ZeRO engine's) reads its parameters from and adds its gradients
 * into that store, unit by unit; {@link #parameters()} and {@link #gradients()} are then not available.
 * Not thread-safe: one training loop drives it.
 */
public interface GptModel extends AutoCloseable {
    GptLayout layout();

    /** Micro-batch size B the activations were sized for. */
    int batchSize();

    /** Sequence length T the activations were sized for. */
    int seqLen();

    /** The compute parameters, Ψ floats in layout order (the live buffer on the CPU backend). */
    float[] parameters();

    /** The gradients, mirroring {@link #parameters()}; backward adds into them. */
    float[] gradients();

    /** Sets every gradient to zero (start of an optimizer step). */
    void zeroGradients();

    /**
     * Forward pass and mean cross-entropy over (B,T) positions, without gradients.
     *
     * @param inputs  (B,T) token ids.
     * @param targets (B,T) next-token ids.
     */
    float forward(int[] inputs, int[] targets);

    /**
     * Forward and backward: adds d(Σ losses · gradScale)/dθ into the gradients, so that
     * gradScale = 1/(B·T) gives the gradient of this micro-batch's mean loss, and
     * 1/(B·T·micro-batches) the mean over an accumulated batch.
     *
     * @return the mean loss of this micro-batch.
     */
    float forwardBackward(int[] inputs, int[] targets, float gradScale);

    /** Called after the caller changed {@link #parameters()} (an optimizer step, a load). */
    void parametersChanged();

    /** Bytes of activations and backward scratch, sized once for (B,T): host memory, or the GPU's on a GPU. */
    long activationBytes();

    /**
     * On a store: host memory the model copies each unit's gradients into anyway (a GPU model's pinned buffer),
     * native-order fp32 at their layout offsets ({@code 4·o}), holding the unit's gradients of the current
     * micro-batch alone when the model ends the unit and left alone by the model until the next micro-batch's
     * backward. A store may reduce them there ({@link GradientView#leaveInModel()}). Null (the default) when the
     * model adds its gradients into the store's arrays.
     */
    default MutableDirectBuffer hostGradients() {
        return null;
    }

    /** Frees what the model holds outside the Java heap (native or device memory); the model is unusable after. */
    @Override
    void close();
}
