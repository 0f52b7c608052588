/**
 * The ZeRO engine: one rank's training step over a partitioned flat buffer, driving the ring collectives of
 * {@code dev.zeroshard.sharding.collective} with the plans of {@code dev.zeroshard.sharding.zero}. {@link
 * dev.zeroshard.worker.zero.ZeroEngine} runs the step; {@link dev.zeroshard.worker.zero.ShardedParameters} and the
 * {@link dev.zeroshard.worker.zero.GradientReducer}s hold what each stage keeps; {@link
 * dev.zeroshard.worker.zero.MemoryReport} says how many bytes of each kind that is.
 */
package dev.zeroshard.worker.zero;
