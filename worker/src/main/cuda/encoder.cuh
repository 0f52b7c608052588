// Token plus position embedding (ops.Encoder on the CPU).
#pragma once
#include "common.cuh"

// out (B,T,C) = wte[tokens[b,t]] + wpe[t]; tokens (B,T) already checked to be in [0, V);
// wte (V,C) and wpe (maxT,C) are the bf16 compute weights, widened exactly to fp32.
extern "C" __global__ void zs_encoder_forward(float* out, const int* tokens, const bf16* wte, const bf16* wpe,
                                              int B, int T, int C) {
    const long long n = (long long)B * T * C;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const long long bt = i / C;
        const int c = (int)(i % C);
        const int t = (int)(bt % T);
        out[i] = zs_to_f32(wte[(long long)tokens[bt] * C + c]) + zs_to_f32(wpe[(long long)t * C + c]);
    }
}

// dwte (V,C) += dout[b,t] at row tokens[b,t], for every (b,t): atomic adds (a token can repeat), so the
// order of the additions, and the last bits, vary from run to run.
extern "C" __global__ void zs_encoder_backward_wte(float* dwte, const float* dout, const int* tokens, int B, int T,
                                                   int C) {
    const long long n = (long long)B * T * C;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const long long bt = i / C;
        const int c = (int)(i % C);
        atomicAdd(dwte + (long long)tokens[bt] * C + c, dout[i]);
    }
}

// dwpe (T,C) += sum over b of dout[b,t]: one thread per (t,c), added in b order as the CPU does (deterministic).
extern "C" __global__ void zs_encoder_backward_wpe(float* dwpe, const float* dout, int B, int T, int C) {
    const long long n = (long long)T * C;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float acc = dwpe[i];
        for (int b = 0; b < B; b++) {
            acc += dout[(long long)b * T * C + i];
        }
        dwpe[i] = acc;
    }
}
