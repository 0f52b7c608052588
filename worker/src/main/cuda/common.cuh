// Shared helpers of zeroshard's CUDA kernels: bf16 conversion, warp and block reductions, cp.async.
// Conventions (as the CPU ops in dev.zeroshard.worker.ops): flat row-major buffers, a shape comment on
// every argument, backward kernels add into gradient buffers unless their comment says otherwise.
#pragma once

#include <cuda_bf16.h>
#include <stdint.h>

typedef __nv_bfloat16 bf16;

#define ZS_LOG2E 1.4426950408889634f
#define ZS_LN2 0.6931471805599453f

// bf16 <-> fp32, round to nearest even (what dev.zeroshard.sharding.numeric.Bf16 does on the host)
__device__ __forceinline__ bf16 zs_to_bf16(float x) { return __float2bfloat16_rn(x); }
__device__ __forceinline__ float zs_to_f32(bf16 x) { return __bfloat162float(x); }

__device__ __forceinline__ float zs_warp_sum(float v) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

__device__ __forceinline__ double zs_warp_sum_d(double v) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

__device__ __forceinline__ float zs_warp_max(float v) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    }
    return v;
}

// Reduction over a block of blockDim.x threads (a multiple of 32, at most 1024) with a warp reduction and its
// identity; every thread gets the result. scratch: at least 32 floats of shared memory; the call ends with a
// barrier, so it can be reused at once.
template <float (*WarpReduce)(float)>
__device__ __forceinline__ float zs_block_reduce(float v, float* scratch, float identity) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    v = WarpReduce(v);
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    float total = lane < warps ? scratch[lane] : identity;
    total = WarpReduce(total);
    __syncthreads();
    return total;
}

// Sum over a block (see zs_block_reduce).
__device__ __forceinline__ float zs_block_sum(float v, float* scratch) {
    return zs_block_reduce<zs_warp_sum>(v, scratch, 0.0f);
}

// Maximum over a block (see zs_block_reduce).
__device__ __forceinline__ float zs_block_max(float v, float* scratch) {
    return zs_block_reduce<zs_warp_max>(v, scratch, -INFINITY);
}

// 16-byte asynchronous copy global -> shared (sm_80+); src_bytes < 16 fills the rest with zeros,
// src_bytes = 0 reads nothing (gmem must still be a valid address).
__device__ __forceinline__ void zs_cp_async16(void* smem, const void* gmem, int src_bytes) {
    const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(gmem), "r"(src_bytes));
}

__device__ __forceinline__ void zs_cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int N>
__device__ __forceinline__ void zs_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" :: "n"(N));
}
