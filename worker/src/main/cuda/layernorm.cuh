// LayerNorm over the last dimension (ops.LayerNorm on the CPU). One warp per row.
#pragma once
#include "common.cuh"

// out (N,C) bf16 = (inp - mean) * rstd * weight + bias per row; mean (N), rstd (N) saved for backward.
// inp (N,C) fp32 (the residual stream); weight, bias (C) fp32. Block: any multiple of 32 threads.
extern "C" __global__ void zs_layernorm_forward(bf16* out, float* mean, float* rstd, const float* inp,
                                                const float* weight, const float* bias, int N, int C, float eps) {
    const int warps = blockDim.x >> 5;
    const int lane = threadIdx.x & 31;
    const long long row = (long long)blockIdx.x * warps + (threadIdx.x >> 5);
    if (row >= N) {
        return;
    }
    const float* x = inp + row * C;
    float sum = 0.0f;
    for (int c = lane; c < C; c += 32) {
        sum += x[c];
    }
    const float m = zs_warp_sum(sum) / C;
    float var = 0.0f;
    for (int c = lane; c < C; c += 32) {
        const float d = x[c] - m;
        var += d * d;
    }
    const float s = 1.0f / sqrtf(zs_warp_sum(var) / C + eps);
    bf16* o = out + row * C;
    for (int c = lane; c < C; c += 32) {
        o[c] = zs_to_bf16((x[c] - m) * s * weight[c] + bias[c]);
    }
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = s;
    }
}

// Adds dinp (N,C) += rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) with dnorm = dout * weight, and
// writes this block's share of dweight (C) and dbias (C) to partials[blockIdx.x] (2C floats: dweight, then
// dbias); zs_layernorm_backward_reduce adds the partials of every block, in block order, into the gradients.
// Dynamic shared memory: 2C floats. Rows are spread over the grid's warps.
extern "C" __global__ void zs_layernorm_backward(float* dinp, float* partials, const float* dout, const float* inp,
                                                 const float* weight, const float* mean, const float* rstd,
                                                 int N, int C) {
    extern __shared__ float acc[];
    for (int i = threadIdx.x; i < 2 * C; i += blockDim.x) {
        acc[i] = 0.0f;
    }
    __syncthreads();
    const int warps = blockDim.x >> 5;
    const int lane = threadIdx.x & 31;
    for (long long row = (long long)blockIdx.x * warps + (threadIdx.x >> 5); row < N;
         row += (long long)gridDim.x * warps) {
        const float* x = inp + row * C;
        const float* dy = dout + row * C;
        const float m = mean[row];
        const float s = rstd[row];
        float dnormMean = 0.0f;
        float dnormNormMean = 0.0f;
        for (int c = lane; c < C; c += 32) {
            const float norm = (x[c] - m) * s;
            const float dnorm = weight[c] * dy[c];
            dnormMean += dnorm;
            dnormNormMean += dnorm * norm;
        }
        dnormMean = zs_warp_sum(dnormMean) / C;
        dnormNormMean = zs_warp_sum(dnormNormMean) / C;
        float* dx = dinp + row * C;
        for (int c = lane; c < C; c += 32) {
            const float norm = (x[c] - m) * s;
            const float dnorm = weight[c] * dy[c];
            atomicAdd(acc + c, norm * dy[c]);
            atomicAdd(acc + C + c, dy[c]);
            dx[c] += (dnorm - dnormMean - norm * dnormNormMean) * s;
        }
    }
    __syncthreads();
    float* part = partials + (long long)blockIdx.x * 2 * C;
    for (int i = threadIdx.x; i < 2 * C; i += blockDim.x) {
        part[i] = acc[i];
    }
}

// dweight (C) += sum over blocks of partials[block][0..C); dbias (C) += of partials[block][C..2C).
extern "C" __global__ void zs_layernorm_backward_reduce(float* dweight, float* dbias, const float* partials,
                                                        int blocks, int C) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= 2 * C) {
        return;
    }
    float sum = 0.0f;
    for (int b = 0; b < blocks; b++) {
        sum += partials[(long long)b * 2 * C + i];
    }
    if (i < C) {
        dweight[i] += sum;
    } else {
        dbias[i - C] += sum;
    }
}
