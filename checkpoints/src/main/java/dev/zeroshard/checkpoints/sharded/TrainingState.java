package dev.zeroshard.checkpoints.sharded;

/**
 * What a resumed job needs besides the weights and moments: the step (the learning-rate schedule is a function of
 * it), Adam's step count, and where the data loader continues (world-size independent: sequences consumed over
 * all ranks).
 */
public record TrainingState(long step, long optimizerStep, int dataEpoch, int dataIndex) {
}
