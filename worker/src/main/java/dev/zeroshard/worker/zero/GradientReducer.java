package dev.zeroshard.worker.zero;

import dev.zeroshard.worker.model.GradientView;

/**
 * Where one rank's gradients go during backward and how they are reduced across the ring. After
 * {@link #endMicroBatch()} of a step's last micro-batch, {@link #array()} holds the sum over all ranks of at least
 * the rank's own shard; element e (a layout offset) is at index {@code e + shift()}.
 */
interface GradientReducer {
    /** Clears the accumulated gradients at the start of an optimizer step. */
    void beginStep();

    /** Micro-batch {@code index} of the step starts; {@code last} when it is the step's final one. */
    void beginMicroBatch(int index, boolean last);

    /** Backward is about to add unit {@code unit}'s gradients. */
    void begin(int unit, GradientView view);

    /** Unit {@code unit}'s gradients of this micro-batch are complete. */
    void end(int unit);

    /** The micro-batch's backward is over: completes the reductions it owes. */
    void endMicroBatch();

    /** The array holding the reduced gradients of the rank's shard (and, in stages 0 and 1, all others). */
    float[] array();

    /** {@code array()} index of layout offset 0. */
    int shift();

    /** Bytes of gradients kept across micro-batches (the model states' gradient term). */
    long gradientBytes();

    /** Bytes of bucket buffers and per-unit scratch. */
    long bufferBytes();
}
