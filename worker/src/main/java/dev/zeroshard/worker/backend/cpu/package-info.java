/**
 * Matrix products for the CPU backend: the {@link dev.zeroshard.worker.backend.cpu.Gemm} contract
 * (row-major, transposes, offsets and leading dimensions, fp32 and bf16 inputs, fp32 accumulation),
 * its implementations on oneDNN ({@link dev.zeroshard.worker.backend.cpu.DnnlGemm}), OpenBLAS
 * ({@link dev.zeroshard.worker.backend.cpu.OpenBlasGemm}) and pure Java
 * ({@link dev.zeroshard.worker.backend.cpu.JavaGemm}), and the one-time choice between them
 * ({@link dev.zeroshard.worker.backend.cpu.Gemms}); the operands a Gemm reads in place
 * ({@link dev.zeroshard.worker.backend.cpu.MatrixBuffer}, {@link dev.zeroshard.worker.backend.cpu.Operand}).
 * Why oneDNN first, with measurements: the worker README, "Matrix products".
 *
 * <p>Threading: a Gemm parallelises inside each call (native pools, or {@code Parallel} for Java and
 * for the heap/off-heap copies) and serialises calls on one instance, whose scratch buffers it reuses;
 * the training loop's thread is the expected caller.
 */
package dev.zeroshard.worker.backend.cpu;
