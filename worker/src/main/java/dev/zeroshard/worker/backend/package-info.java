/**
 * The compute backends and the one place that chooses between them: {@link
 * dev.zeroshard.worker.backend.BackendSelector} resolves a job's {@code backend} ({@code auto}, {@code cpu},
 * {@code cuda}) into a {@link dev.zeroshard.worker.backend.GptModelFactory} with the reason, once per process or
 * job; {@code cpu} holds the CPU backend's matrix products, {@code cuda} the CUDA backend.
 *
 * <p>Threading: selection is thread-safe (the CUDA probe runs once); the models it makes are driven by one thread.
 */
package dev.zeroshard.worker.backend;
