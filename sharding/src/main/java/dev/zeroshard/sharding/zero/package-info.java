/**
 * The pure arithmetic of ZeRO over the flat buffer: which elements each rank owns ({@link
 * dev.zeroshard.sharding.zero.ShardPlan}), how a range of the buffer is cut into one collective segment per owner,
 * and the buckets gradients are reduced and parameters gathered in ({@link dev.zeroshard.sharding.zero.BucketPlan}).
 * No I/O, no threads: the worker's engine drives the collectives with these plans.
 */
package dev.zeroshard.sharding.zero;
