// bf16 <-> fp32 conversion over flat buffers (ops.Bf16Convert on the CPU).
#pragma once
#include "common.cuh"

// out (n) = bf16(in (n)), round to nearest even
extern "C" __global__ void zs_f32_to_bf16(bf16* out, const float* in, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        out[i] = zs_to_bf16(in[i]);
    }
}

// out (n) = fp32(in (n)), exact
extern "C" __global__ void zs_bf16_to_f32(float* out, const bf16* in, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        out[i] = zs_to_f32(in[i]);
    }
}
