// GELU, GPT-2's tanh approximation (ops.Gelu on the CPU): 0.5 x (1 + tanh(u)) = x sigma(2u),
// u = sqrt(2/pi) (x + 0.044715 x^3).
#pragma once
#include "common.cuh"

#define ZS_SQRT_2_OVER_PI 0.7978845608028654f
#define ZS_GELU_CUBE 0.044715f

// out (n) bf16 = gelu(inp (n)); inp fp32 (the fc layer's output, kept for backward).
extern "C" __global__ void zs_gelu_forward(bf16* out, const float* inp, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float x = inp[i];
        const float e = expf(fmaf(x * x, ZS_GELU_CUBE, 1.0f) * x * (-2.0f * ZS_SQRT_2_OVER_PI));
        out[i] = zs_to_bf16(x / (e + 1.0f));
    }
}

// dinp (n) = gelu'(inp) * dout, written over dinp (not added). dinp may be dout (in place).
extern "C" __global__ void zs_gelu_backward(float* dinp, const float* inp, const float* dout, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float x = inp[i];
        const float x2 = x * x;
        const float s = 1.0f / (expf(fmaf(x2, ZS_GELU_CUBE, 1.0f) * x * (-2.0f * ZS_SQRT_2_OVER_PI)) + 1.0f);
        const float du = fmaf(x2, 3.0f * ZS_GELU_CUBE, 1.0f) * ZS_SQRT_2_OVER_PI;
        const float grad = (1.0f - s) * s * x * du * 2.0f + s;
        dinp[i] = grad * dout[i];
    }
}
