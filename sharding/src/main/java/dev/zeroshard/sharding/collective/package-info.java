/**
 * Ring collectives over Aeron: {@link dev.zeroshard.sharding.collective.Communicator} (allreduce, reduce-scatter,
 * allgather, broadcast, barrier over fp32 and bf16 buffers, blocking or started per bucket and awaited later), its
 * settings ({@link dev.zeroshard.sharding.collective.CommSettings}), the schedule and reduction order
 * ({@link dev.zeroshard.sharding.collective.RingSchedule}) and the benchmark
 * ({@link dev.zeroshard.sharding.collective.CollectiveBench}). {@code docs/ring-collectives.md} derives the
 * schedule, the order and the deadline rule.
 *
 * <p>Threading: each communicator runs one thread of its own that alone touches Aeron and the buffers of the
 * collectives in flight; callers on any thread start, await, abort and close. Specs, partitions and concluded
 * settings are immutable values.
 */
package dev.zeroshard.sharding.collective;
