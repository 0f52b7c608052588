/**
 * Number formats shared by the compute, the collectives and the file formats: bf16 as bit
 * patterns with round-to-nearest-even narrowing. Static, allocation-free; safe from any thread.
 */
package dev.zeroshard.sharding.numeric;
