/**
 * The transport under the ring collectives: settings ({@link dev.zeroshard.sharding.aeron.TransportConfig}), the
 * embedded or external media driver ({@link dev.zeroshard.sharding.aeron.AeronDriver}), the ring's addresses
 * ({@link dev.zeroshard.sharding.aeron.RingSpec}), the wire layout
 * ({@link dev.zeroshard.sharding.aeron.RingFrameFlyweight}) and the publisher and adapter that move it.
 *
 * <p>Threading: configs and specs are values, safe anywhere once concluded or built. Publishers and adapters
 * belong to one duty-cycle thread each and allocate nothing on their hot paths.
 */
package dev.zeroshard.sharding.aeron;
