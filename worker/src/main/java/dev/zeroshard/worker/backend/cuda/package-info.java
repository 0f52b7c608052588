/**
 * The CUDA backend: JCuda's driver API over kernels written in CUDA C ({@code worker/src/main/cuda}, compiled by
 * nvcc at build time into one fatbin on the class path). {@link dev.zeroshard.worker.backend.cuda.CudaDevice}
 * probes once whether a GPU, its driver and the kernels are there and says why not;
 * {@link dev.zeroshard.worker.backend.cuda.CudaContext} holds the device's context, the loaded module and a
 * {@link dev.zeroshard.worker.backend.cuda.DeviceAllocator caching allocator};
 * {@link dev.zeroshard.worker.backend.cuda.CudaKernels} launches each kernel with a shape comment per argument;
 * {@link dev.zeroshard.worker.backend.cuda.CudaGpt} is GPT-2 on them (bf16 compute, fp32 accumulation).
 *
 * <p>Threading: the driver binds a context to a thread; every public entry makes the context current on the
 * calling thread, and one training loop thread drives a model at a time (as on the CPU backend).
 */
package dev.zeroshard.worker.backend.cuda;
