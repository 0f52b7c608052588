// The bias gradient of a linear layer: column sums of dout, in two deterministic steps.
#pragma once
#include "common.cuh"

// partials (chunks, OC): partials[k][j] = sum of dout[n][j] over rows n of chunk k (rowsPerChunk rows each), in
// row order. Grid: (ceil(OC / blockDim.x), chunks).
extern "C" __global__ void zs_bias_backward_partial(float* partials, const float* dout, int N, int OC,
                                                    int rowsPerChunk) {
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= OC) {
        return;
    }
    const int chunk = blockIdx.y;
    const int r0 = chunk * rowsPerChunk;
    const int r1 = min(N, r0 + rowsPerChunk);
    float acc = 0.0f;
    for (int r = r0; r < r1; r++) {
        acc += dout[(long long)r * OC + col];
    }
    partials[(long long)chunk * OC + col] = acc;
}

// dbias (OC) += sum over chunks of partials (chunks, OC), in chunk order.
extern "C" __global__ void zs_bias_backward_reduce(float* dbias, const float* partials, int chunks, int OC) {
    const int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= OC) {
        return;
    }
    float acc = 0.0f;
    for (int k = 0; k < chunks; k++) {
        acc += partials[(long long)k * OC + col];
    }
    dbias[col] += acc;
}
