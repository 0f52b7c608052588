// Gradient statistics: the sum of squares for the global L2 norm (optim.GradientNorm on the CPU).
#pragma once
#include "common.cuh"

// partials (gridDim.x) = per block, the sum of x[i]^2 in double over the block's grid-stride share of x (n).
// The host adds the partials in order; with a fixed grid the result is the same run after run.
extern "C" __global__ void zs_sum_squares(double* partials, const float* x, long long n) {
    __shared__ double scratch[32];
    double acc = 0.0;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const double g = x[i];
        acc += g * g;
    }
    acc = zs_warp_sum_d(acc);
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    if (lane == 0) {
        scratch[warp] = acc;
    }
    __syncthreads();
    if (warp == 0) {
        double total = lane < (int)(blockDim.x >> 5) ? scratch[lane] : 0.0;
        total = zs_warp_sum_d(total);
        if (lane == 0) {
            partials[blockIdx.x] = total;
        }
    }
}
