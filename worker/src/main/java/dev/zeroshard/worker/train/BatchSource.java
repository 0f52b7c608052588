package dev.zeroshard.worker.train;

/** Where a training loop takes its micro-batches from. */
public interface BatchSource {
    /** Fills (B,T) inputs and the (B,T) next-token targets of the next micro-batch. */
    void nextBatch(int[] inputs, int[] targets);
}
