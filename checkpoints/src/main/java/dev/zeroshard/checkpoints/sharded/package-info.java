/**
 * Sharded checkpoints: each rank writes its shard of fp32 master weights and Adam moments with global flat-buffer
 * offsets ({@link dev.zeroshard.checkpoints.sharded.ShardWriter}), rank 0 commits the step atomically with a
 * Protobuf manifest ({@link dev.zeroshard.checkpoints.sharded.CheckpointCommitter}), and any world size or stage
 * reads back any range ({@link dev.zeroshard.checkpoints.sharded.Checkpoint}). {@link
 * dev.zeroshard.checkpoints.sharded.CheckpointStore} finds, verifies and prunes them.
 */
package dev.zeroshard.checkpoints.sharded;
