/**
 * Job specs in the JSON form users write: strict parsing into the generated Protobuf types,
 * Hugging Face {@code config.json} loading, validation with a JSON path in every error, and
 * resolution of defaults. Pure functions; safe from any thread.
 */
package dev.zeroshard.protocol.job;
