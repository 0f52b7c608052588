/**
 * The flat buffer: where every tensor of a model lives in one contiguous range of elements.
 * Gradients and optimizer states mirror the same layout, which is what makes ZeRO's partitioning
 * plain slicing. Immutable value types; safe from any thread.
 */
package dev.zeroshard.sharding.layout;
