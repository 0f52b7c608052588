// One fused Adam/AdamW step over a contiguous range of the flat buffer (optim.AdamW on the CPU), with the
// same order of operations; every product and sum is rounded on its own (__fmul_rn and friends are never
// contracted into FMAs), so the result has the bits of the Java step.
#pragma once
#include "common.cuh"

// param (n) fp32 master weights, updated in place; paramBits (n) bf16 compute copy, written when not null;
// grad (n); m (n) and v (n) the moments. Scalars are computed once on the host, in double, as AdamW.step does:
// stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t), decay = 1 - lr * wd (1 for Adam with L2),
// l2Decay = wd for Adam with L2 (else 0).
extern "C" __global__ void zs_adamw(float* param, bf16* paramBits, const float* grad, float* m, float* v,
                                    long long n, float stepSize, float bc2Sqrt, float decay, float l2Decay,
                                    float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2, float eps) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float w = param[i];
        const float g = __fadd_rn(grad[i], __fmul_rn(l2Decay, w));
        const float mi = __fadd_rn(__fmul_rn(m[i], beta1), __fmul_rn(oneMinusBeta1, g));
        const float vi = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(oneMinusBeta2, g), g));
        m[i] = mi;
        v[i] = vi;
        const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), eps);
        const float p = __fsub_rn(__fmul_rn(w, decay), __fmul_rn(stepSize, __fdiv_rn(mi, denom)));
        param[i] = p;
        if (paramBits != nullptr) {
            paramBits[i] = zs_to_bf16(p);
        }
    }
}
